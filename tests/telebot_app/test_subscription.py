"""/start, /stop, /help, the admin key in /start and the command menu per scope."""

from tests.conftest import ADMIN_KEY


def test_start_subscribes_and_greets(player, api_as):
    ann = player(70_001, first_name="Ann", last_name="Lee", username="ann_lee", language_code="en")
    replies = ann.say("/start")
    assert len(replies) == 1
    assert "Hello, Ann! You are subscribed" in replies[0]["text"]
    user = api_as(ann.id).get(f"/users/{ann.id}").get_json()
    assert (user["status"], user["role"], user["username"], user["language_code"]) == (
        "active",
        "subscriber",
        "ann_lee",
        "en",
    )


def test_stop_unsubscribes_and_start_subscribes_again(player, api_as):
    ann = player(70_002)
    ann.say("/start")
    replies = ann.say("/stop")
    assert "You are unsubscribed" in replies[0]["text"]
    assert api_as(ann.id).get(f"/users/{ann.id}").get_json()["status"] == "unsubscribed"
    replies = ann.say("/start")
    assert "You are subscribed" in replies[0]["text"]
    assert api_as(ann.id).get(f"/users/{ann.id}").get_json()["status"] == "active"


def test_stop_before_start_and_texts_in_russian(player):
    ivan = player(70_003, first_name="Иван", language_code="ru")
    assert "Вы не подписаны" in ivan.say("/stop")[0]["text"]
    assert "Здравствуйте, Иван! Вы подписаны" in ivan.say("/start")[0]["text"]
    assert "/stop — отписаться" in ivan.say("/help")[0]["text"]


def test_unknown_language_falls_back_to_bot_language(player):
    hans = player(70_004, first_name="Hans", language_code="de")
    assert "Hello, Hans!" in hans.say("/start")[0]["text"]


def test_admin_key_in_start_makes_an_admin_with_admin_commands(player, api_as, sandbox):
    boss = player(70_010, first_name="Boss")
    replies = boss.say(f"/start {ADMIN_KEY}")
    assert "You are an admin now" in replies[0]["text"]
    assert api_as(boss.id).get(f"/users/{boss.id}").get_json()["role"] == "admin"
    scopes = sandbox.bot_commands()["scopes"]
    chat = next(s for s in scopes if s["scope"] == f"chat:{boss.id}")
    assert "adminmenu" in [c["command"] for c in chat["commands"]]
    assert "Admin menu" in boss.say("/adminmenu")[0]["text"]


def test_an_invite_link_s_payload_is_the_source_and_the_admin_key_never_is(player, api_as):
    ann = player(70_020, first_name="Ann")
    welcome = ann.say("/start src_vk_autumn")
    assert welcome[0]["text"] == ann.say("/start")[0]["text"]  # the same greeting
    ann.say("/start tg-ads")
    user = api_as(ann.id).get(f"/users/{ann.id}").get_json()
    assert (user["first_source"], user["last_source"]) == ("src_vk_autumn", "tg-ads")
    assert user["tags"] == ["src:src_vk_autumn", "src:tg-ads"]
    ann.say("/start not/a/payload")  # Telegram never makes such a link: no source
    assert api_as(ann.id).get(f"/users/{ann.id}").get_json()["last_source"] == "tg-ads"
    boss = player(70_021, first_name="Boss")
    boss.say(f"/start {ADMIN_KEY}")
    user = api_as(boss.id).get(f"/users/{boss.id}").get_json()
    assert (user["role"], user["first_source"], user["tags"]) == ("admin", None, [])


def test_wrong_key_is_a_plain_start_without_any_hint(player, api_as):
    eve = player(70_011, first_name="Eve")
    wrong = eve.say("/start not-the-key")
    plain = eve.say("/start")
    assert wrong[0]["text"] == plain[0]["text"]
    assert "admin" not in wrong[0]["text"].lower() and "key" not in wrong[0]["text"].lower()
    assert api_as(eve.id).get(f"/users/{eve.id}").get_json()["role"] == "subscriber"


def test_help_lists_what_each_role_may_do(player, make_user):
    make_user(70_020, role="moderator")
    make_user(70_021, role="admin")
    subscriber = player(70_022)
    subscriber.say("/start")
    assert "/adminmenu" not in subscriber.say("/help")[0]["text"]
    moderator_help = player(70_020).say("/help")[0]["text"]
    assert "(moderator)" in moderator_help and "roles" not in moderator_help
    assert "change users' roles" in player(70_021).say("/help")[0]["text"]


def test_default_commands_for_subscribers(driver, sandbox):
    from telebot_app.commands import install_default_commands

    install_default_commands(driver.bot, "ru")
    scopes = sandbox.bot_commands()["scopes"]
    english = next(s for s in scopes if s["scope"] == "default" and s["language_code"] == "en")
    assert [c["command"] for c in english["commands"]] == ["start", "help", "stop"]
    assert {s["language_code"] for s in scopes if s["scope"] == "default"} == {"", "ru", "en"}


def test_other_peoples_deep_links_never_lock_the_owner_out(player, api_as):
    # Every bot call reaches the API from the bot's one address; referral and UTM payloads are no claims.
    for n in range(1, 7):
        guest = player(70_100 + n, first_name=f"Guest{n}")
        assert "You are subscribed" in guest.say(f"/start promo_autumn_{n}")[0]["text"]
    # Even someone who guesses keys of the right length locks out only themselves.
    guesser = player(70_107, first_name="Mallory")
    for n in range(6):
        guesser.say(f"/start {str(n) * len(ADMIN_KEY)}")
    owner = player(70_110, first_name="Owner")
    assert "You are an admin now" in owner.say(f"/start {ADMIN_KEY}")[0]["text"]
    assert api_as(owner.id).get(f"/users/{owner.id}").get_json()["role"] == "admin"
