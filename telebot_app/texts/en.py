"""English texts (HTML; {placeholders} are filled in escaped)."""

TEXTS = {
    # Commands menu
    "cmd_start": "Subscribe to the mailings",
    "cmd_help": "What this bot can do",
    "cmd_stop": "Unsubscribe",
    "cmd_adminmenu": "Admin menu",
    "cmd_newmailing": "Compose a mailing",
    "cmd_cancel": "Leave the current dialog",
    # Subscription
    "welcome": "Hello, {name}! You are subscribed and will get our mailings here.\n"
    "/stop unsubscribes, /help shows what else you can do.",
    "admin_granted": "Hello, {name}! You are an admin now.\n"
    "/adminmenu opens the admin menu, /newmailing composes a mailing, /help lists everything.",
    "unsubscribed": "You are unsubscribed and will get no more mailings. /start subscribes you again.",
    "not_subscribed": "You are not subscribed. /start subscribes you.",
    "help_subscriber": "<b>What you can do</b>\n/start — subscribe (or come back)\n/stop — unsubscribe\n"
    "/help — this list",
    "help_moderator": "<b>What you can do</b> (moderator)\n/newmailing — compose a mailing (🔁 Repeat "
    "makes it recurring)\n"
    "/adminmenu — scheduled mailings: view, edit, delete, send now, pause, resume; sent mailings: "
    "figures, retries, the CSV of the unreached; duplicate any mailing; recurring mailings: pause, "
    "resume, end; turn mailing reports on or off\n"
    "/cancel — leave the current dialog\n/start, /stop — subscribe, unsubscribe\n/help — this list",
    "help_admin": "<b>What you can do</b> (admin)\n/newmailing — compose a mailing (🔁 Repeat makes it "
    "recurring)\n"
    "/adminmenu — change users' roles; scheduled mailings: view, edit, delete, send now, pause, resume; "
    "sent mailings: figures, retries, the CSV of the unreached; duplicate any mailing; "
    "recurring mailings: pause, resume, end; "
    "turn mailing reports on or off; invite links; tag users from a CSV\n"
    "/cancel — leave the current dialog\n/start, /stop — subscribe, unsubscribe\n/help — this list",
    # General
    "refused": "Sorry, this is only for admins and moderators.",
    "refused_admin_only": "Sorry, only admins can do this.",
    "api_unavailable": "The service is not answering right now. Please try again shortly — "
    "nothing you entered is lost.",
    "rate_limited": "Too many attempts. Please try again later.",
    "api_error": "That did not work: {message}",
    "internal_error": "Something went wrong on our side. Please try again.",
    "stale_button": "This button is out of date.",
    "stale_draft": "This button belongs to a draft that is no longer open. Use /newmailing.",
    "unknown_command": "I do not know this command. /help lists the ones I know.",
    "stray_message": "I only send mailings. /help lists what you can do.",
    "cancelled": "Done, the dialog is closed.",
    "cancelled_draft_kept": "Done, the dialog is closed. Your draft is kept: /newmailing continues it.",
    "nothing_to_cancel": "There is nothing to cancel.",
    "error_line": "• {message}",
    "invalid_answer": "This will not work:\n{errors}",
    "btn_no": "No",
    "btn_back": "◀ Back",
    "btn_cancel": "Cancel",
    # Admin menu and roles
    "admin_menu": "<b>Admin menu</b>",
    "btn_roles": "👤 Change a user's role",
    "btn_mailings": "🗓 Scheduled mailings",
    "btn_new_mailing": "✉ New mailing",
    "role_subscriber": "subscriber",
    "role_moderator": "moderator",
    "role_admin": "admin",
    "role_as_subscriber": "a subscriber",
    "role_as_moderator": "a moderator",
    "role_as_admin": "an admin",
    "status_active": "active",
    "status_unsubscribed": "cancelled",
    "status_blocked": "bot blocked",
    "role_ask_target": "Send the user's Telegram id (digits), or forward me any message from them. "
    "/cancel stops.",
    "role_not_a_number": "That is not a Telegram id: send digits only (e.g. 123456789), "
    "or forward a message from the user.",
    "role_forward_hidden": "I cannot tell who wrote that message (their privacy settings hide it, or it "
    "comes from a chat). Send their Telegram id instead.",
    "role_unknown_user": "No user with id {tg_id}: they must send /start to the bot first. "
    "Send another id, or /cancel.",
    "role_user_card": "<b>{name}</b> ({username})\nid: <code>{tg_id}</code>\nrole: <b>{role}</b>\n"
    "subscription: {status}",
    "role_choose": "Choose the new role:",
    "role_confirm": "Make user {tg_id} <b>{role}</b>?",
    "btn_yes_change": "Yes, change",
    "role_done": "Done: the role is now <b>{role}</b>.",
    "role_done_short": "Role changed",
    "role_change_dropped": "The role stays as it was.",
    "role_last_admin": "This is the last admin, so their admin role cannot be taken away. Make someone "
    "else an admin first.",
    # Mailing statuses and media
    "mstatus_scheduled": "scheduled",
    "mstatus_sending": "sending",
    "mstatus_paused": "paused",
    "mstatus_finished": "finished",
    "mstatus_cancelled": "cancelled",
    "media_photo": "photo",
    "media_animation": "GIF",
    "media_video": "video",
    "media_document": "document",
    "media_audio": "audio",
    "media_voice": "voice message",
    # Browser
    "browser_empty": "No mailings are scheduled.",
    "browser_card": "<b>#{number} of {total}</b>\n<b>{name}</b> (id {mailing_id})\nSend time: {send_at}\n"
    "Status: {status}",
    "browser_progress": "Progress: {done} of {total} done, {rate}/s, about {eta} left",
    "browser_first": "This is the first one.",
    "browser_last": "This is the last one (#{total}).",
    "browser_ask_number": "Which one? Send a number from 1 to {total}. /cancel stops.",
    "browser_not_a_number": "Send just a number from 1 to {total}.",
    "browser_out_of_range": "There is no mailing with that number: send a number from 1 to {total}.",
    "browser_delete_confirm": "Delete the mailing <b>{name}</b> (id {mailing_id})? This cannot be undone.",
    "browser_send_now_confirm": "Start sending <b>{name}</b> (id {mailing_id}) to all subscribers now?",
    "browser_deleted": "Deleted",
    "browser_cannot_delete": "Sending has already started, so the mailing can no longer be deleted.",
    "preview_failed": "(The preview could not be shown: {message})",
    "preview_unavailable": "Telegram or the service is not answering; try again shortly",
    "mailing_gone": "This mailing no longer exists.",
    "btn_goto": "Go to #…",
    "btn_edit": "✏ Edit",
    "btn_delete": "🗑 Delete",
    "btn_send_now": "🚀 Send now",
    "btn_pause": "⏸ Pause",
    "btn_resume": "▶ Resume",
    "btn_stop": "⏹ Cancel sending",
    "btn_refresh": "🔄 Refresh",
    # Sent mailings (the browser's Sent view) and copies
    "btn_sent_mailings": "📜 Sent mailings",
    "btn_duplicate": "📄 Duplicate",
    "btn_retry_unknown": "🔁 Retry unknown ({count})",
    "btn_retry_failed": "🔁 Retry failed ({count})",
    "btn_unreached_csv": "📎 CSV of the unreached",
    "btn_yes_send_again": "Yes, send again",
    "history_empty": "No mailings have been sent yet.",
    "history_counts": "Sent: {sent} · blocked: {blocked} · failed: {failed} · unknown: {unknown}",
    "history_cancelled": "Cancelled before sending: {count}",
    "history_speed": "Duration: {duration} · average {rate} msg/s",
    "history_clicks": "Button clicks: {total}",
    "history_click_line": "{number}. {text} — {clicks} ({share} %)",
    "history_pruned": "The list of recipients was removed on {at}; only the counts are kept.",
    "history_retry_unknown_confirm": "Send <b>{name}</b> (id {mailing_id}) again to the {count} recipients "
    "whose delivery is unknown? Telegram may have delivered it to some of them: they would get it twice.",
    "history_retry_failed_confirm": "Send <b>{name}</b> (id {mailing_id}) again to the {count} recipients "
    "it failed to reach?",
    "history_retry_started": "Sending again",
    "history_retrying": "🔁 <b>{name}</b> is being sent again to {count} recipients. While it sends it is "
    "under “🗓 Scheduled mailings”.",
    "history_nothing_unknown": "No delivery of this mailing is unknown any more: nothing to send again.",
    "history_nothing_failed": "No delivery of this mailing failed any more: nothing to send again.",
    "history_cannot_retry": "Only a finished mailing can be sent again; this one is {status}.",
    "history_pruned_no_retry": "This mailing ended long ago: its list of recipients was removed and only "
    "its counts are kept, so it cannot be sent again. Duplicate it instead.",
    "history_pruned_no_csv": "This mailing ended long ago: its list of recipients was removed and only its "
    "counts are kept, so there is no CSV.",
    "history_csv_empty": "Everyone got this mailing: there is nobody to list.",
    "history_csv_too_large": "The list of recipients not reached is over the 50 MB Telegram lets a bot send. "
    "Fetch it from the API: <code>GET {path}</code>",
    "history_csv_caption": "Not reached by <b>{name}</b> (id {mailing_id}), with the reasons",
    "draft_replace_copy_confirm": "You have an unfinished draft <b>{name}</b>. Discard it and make a copy of "
    "this mailing?",
    "history_copy_made": "A copy is open",
    "history_copy_opened": "📄 A copy of <b>{name}</b> (id {mailing_id}): the same text, buttons, media and "
    "audience. Give it a send time; then change anything and save it.",
    "menu_title_copy": "New mailing (a copy of {mailing_id})",
    "btn_yes_delete": "Yes, delete",
    "btn_yes_send": "Yes, send now",
    "btn_yes_stop": "Yes, cancel sending",
    # Mailing control
    "ctl_paused": "Paused",
    "ctl_resumed": "Resumed",
    "ctl_cancelled": "Sending is cancelled.",
    "ctl_started": "Sending has started",
    "ctl_wrong_status": "Not possible now: the mailing is {status}.",
    # Two-person approval
    "approval_waiting": "🔐 Needs approval by an admin or moderator other than its author; "
    "it does not start before.",
    "approval_given": "✅ Approved by {who} at {at}",
    "approval_given_by_you": "✅ Approved by you at {at}",
    "approval_by_client": "an API client",
    "btn_approve": "✅ Approve",
    "approve_done": "Approved",
    "approve_refused": "Not approved: {why}",
    "approve_done_started": "Approved: its time has come, so sending has started",
    "approval_card_done": "✅ You approved it.",
    "saved_needs_approval": "🔐 It needs approval by another admin or moderator before it starts: "
    "they have been asked.",
    "ctl_needs_approval": "It needs approval by another admin or moderator before it can start.",
    "ctl_cancel_confirm": "Cancel sending mailing {mailing_id}? Anyone who has not received it yet "
    "will not receive it.",
    # Constructor
    "draft_exists": "You have an unfinished draft <b>{name}</b>.",
    "btn_continue_draft": "Continue it",
    "btn_start_over": "Discard it and start a new one",
    "draft_replace_confirm": "You have an unfinished draft <b>{name}</b>. Discard it and edit this mailing?",
    "draft_missing": "This draft is no longer open. /newmailing starts a new one.",
    "ask_name": "Send the mailing's internal name (subscribers do not see it).",
    "ask_text": "Send the text of the mailing. Format it in Telegram, or write HTML tags: "
    '&lt;b&gt;, &lt;i&gt;, &lt;u&gt;, &lt;s&gt;, &lt;a href="…"&gt;, &lt;code&gt;, &lt;pre&gt;, '
    "&lt;blockquote&gt;, &lt;tg-spoiler&gt;. A text without formatting or tags goes out exactly as you "
    "wrote it.",
    "ask_time": "When to send it? Give the time in {zone}: <code>DD.MM.YYYY HH:MM</code> (e.g. "
    "<code>{example}</code>), "
    "<code>HH:MM</code> for the next such time, or <code>now</code>.",
    "time_unreadable": "I cannot read that time. Write <code>DD.MM.YYYY HH:MM</code> or <code>HH:MM</code> "
    "({zone}), or <code>now</code>.",
    "time_invalid": "This time will not work:\n{errors}\nSend another time ({zone}).",
    "time_now": "now (right after saving)",
    "send_text_please": "Please send text here (or /cancel).",
    "use_menu": "Please use the buttons below (or /cancel).",
    "menu_title_new": "New mailing",
    "menu_title_edit": "Editing mailing {mailing_id}",
    "menu_summary": "<b>{title}</b>\nName: <b>{name}</b>\nSend time: {send_at}\nAudience: {audience}\n"
    "Media: {media}\n"
    "Buttons:\n{buttons}\n\nText:\n<code>{text}</code>",
    "menu_button_line": "{number}. {text} → {url}",
    "menu_more_buttons": "…and {count} more",
    "menu_none": "none",
    "btn_add_button": "➕ Button",
    "btn_manage_buttons": "🔀 Buttons",
    "btn_media_add": "🖼 Add media",
    "btn_media_replace": "🖼 Replace media",
    "btn_media_remove": "✖ Remove media",
    "btn_change_name": "✏ Name",
    "btn_change_text": "✏ Text",
    "btn_change_time": "🕒 Time",
    "btn_preview": "👁 Preview",
    "btn_save": "💾 Save",
    "btn_exit": "✖ Exit",
    "btn_done": "✔ Done",
    "btn_yes_save": "Yes, save",
    "btn_yes_discard": "Yes, discard",
    "btn_overwrite": "Save my version over theirs",
    "btn_reload": "Drop my changes, load theirs",
    "btn_save_as_new": "Save as a new mailing",
    "ask_button_text": "Send the label of button {number}.",
    "ask_button_url": "Send the link for “{text}” (http://, https:// or tg://).",
    "button_added": "Button added: {text} → {url}",
    "buttons_manage": "Buttons ({count}): move them with ⬆ ⬇, delete with ✖. Subscribers see them in "
    "this order.",
    "button_info": "{text} → {url}",
    "button_deleted": "Button deleted",
    "button_at_edge": "It is already at the edge.",
    "ask_media": "Send one photo, GIF, video, document, audio or voice message. It replaces any earlier one.",
    "media_added": "Attached: {kind}.",
    "media_replaced": "Attachment replaced: {kind}.",
    "media_removed": "Media removed",
    "media_refused_text": "That is text, not a file. Send a photo, GIF, video, document, audio or "
    "voice message, "
    "or /cancel.",
    "media_refused_sticker": "Stickers cannot be sent in a mailing. Send a photo, GIF, video, document, "
    "audio or voice message.",
    "media_refused_video_note": "A round video message cannot be sent in a mailing. Send it as a "
    "normal video.",
    "media_refused_other": "A mailing cannot carry {kind}. Send a photo, GIF, video, document, audio "
    "or voice message.",
    "preview_intro": "👁 Preview — exactly as subscribers will see it:",
    "preview_sent": "Preview sent",
    "test_failed": "The preview was not sent:\n{errors}",
    "save_confirm": "Save <b>{name}</b>? Send time: {send_at}.",
    "save_invalid": "Not saved:\n{errors}\nYour draft is kept.",
    "saved": "✅ Saved: <b>{name}</b> (id {mailing_id}) will be sent at {send_at}.",
    "saved_now": "✅ Saved: <b>{name}</b> (id {mailing_id}) is being sent now.",
    "updated": "✅ Changes saved: <b>{name}</b> (id {mailing_id}) will be sent at {send_at}.",
    "saved_short": "Saved",
    "version_conflict": "Someone else changed mailing {mailing_id} while you were editing it, so "
    "your changes "
    "are not saved yet. Your draft is kept. What now?",
    "edited_mailing_gone": "The mailing you were editing was deleted in the meantime. Your draft is kept.",
    "mailing_not_editable": "Only a scheduled mailing can be edited; this one is {status}.",
    "mailing_not_editable_now": "The mailing can no longer be changed: it is {status}. Your draft is kept.",
    "exit_confirm": "Discard this draft? Everything in it will be lost.",
    "draft_discarded": "The draft is discarded.",
    # Roles and reports
    "btn_reports_on": "🔔 Mailing reports: on",
    "btn_reports_off": "🔕 Mailing reports: off",
    "reports_turned_on": "Reports are on: you will get one after every mailing.",
    "reports_turned_off": "Reports are off: mailing reports will no longer come to you.",
    "role_now_admin": "You have been made an admin.\n/adminmenu — users' roles, scheduled mailings and your "
    "reports; /newmailing — compose a mailing; /help — all commands.",
    "role_now_moderator": "You have been made a moderator.\n/newmailing — compose a mailing; /adminmenu — "
    "scheduled mailings and your reports; /help — all commands.",
    "role_now_subscriber": "You are a subscriber now: you no longer have the admin menu or the mailing "
    "tools. /help — all commands.",
    # Dialogs: leaving, albums, confirmations
    "leave_hint_draft": "/cancel leaves; your draft is kept.",
    "stray_staff": "I am not asking you anything right now. /adminmenu opens the admin menu, "
    "/newmailing composes a mailing.",
    "stray_staff_draft": "I am not asking you anything right now. Your draft is kept: /newmailing "
    "continues it. /adminmenu opens the admin menu.",
    "media_album_first_kept": "That was an album, and a mailing carries one attachment, so only the "
    "first file was added.",
    "media_remove_confirm": "Remove the attachment ({kind}) from the mailing?",
    "btn_yes_remove": "Yes, remove",
    "button_delete_confirm": "Delete the button “{text}” ({url})?",
    "btn_keep": "No, keep it",
    "caption_offer": "This {kind} has a caption. Use the caption as the mailing's text and the {kind} "
    "as its attachment?",
    "btn_caption_both": "Yes, text and attachment",
    "btn_caption_text": "Only the text, no file",
    "btn_caption_neither": "No, I will send the text",
    "content_location": "a location",
    "content_contact": "a contact",
    "content_poll": "a poll",
    "content_dice": "an animated emoji",
    "content_venue": "a venue",
    "content_game": "a game",
    "content_story": "a story",
    "content_invoice": "an invoice",
    "content_giveaway": "a giveaway",
    "content_gift": "a gift",
    "content_other": "this kind of message",
    # How a typed text was read
    "text_read_as_html": "Read as HTML: the tags become formatting.",
    "text_read_as_plain": "Read as plain text: subscribers will see it exactly as you typed it.",
    "text_read_as_plain_why": "Read as plain text: subscribers will see it exactly as you typed it, tags "
    "included. To use HTML, fix the error and replace the text with the “✏ Text” button in the menu. "
    "The error: {problem}",
    # Validation problems (API codes); "at character N" counts from 1
    "problem_required": "This field is required.",
    "problem_invalid": "This value is not valid.",
    "problem_null": "This field may not be empty (null).",
    "problem_unknown": "There is no such field.",
    "problem_type": "The value has the wrong type.",
    "problem_nul_character": "Text may not contain the NUL character (U+0000).",
    "problem_validator_failed": "This value is not valid.",
    "problem_format": "The value cannot be written in the required format.",
    "problem_invalid_awareness": "The time is not valid here: check its timezone.",
    "problem_invalid_utf8": "The text is not valid UTF-8.",
    "problem_invalid_uuid": "This is not a valid UUID.",
    "problem_invalid_ip": "This is not a valid IP address.",
    "problem_invalid_ip_interface": "This is not a valid IP interface (an address with a network mask).",
    "problem_special": "Special numbers (nan, infinity) are not allowed here.",
    "problem_too_large": "The number is too large.",
    "problem_name_not_text": "The name must be text.",
    "problem_name_empty": "The name is empty: give the mailing a short internal name.",
    "problem_name_too_long": "The name is {length} characters long; the limit is {limit}. Shorten it.",
    "problem_text_not_text": "The text must be a string of HTML.",
    "problem_text_empty": "The text is empty: write the message text.",
    "problem_text_too_long": "The text is {length} characters long without its formatting; the limit is "
    "{limit}. "
    "Shorten it by {excess} characters.",
    "problem_placeholder_unknown": "The text has a placeholder the bot does not know: '{names}'. "
    "Use {known}.",
    "problem_html_unclosed_tag": "The &lt;{tag}&gt; tag at character {at} is never closed: add "
    "&lt;/{tag}&gt;.",
    "problem_html_unescaped_amp": "The '&amp;' at character {at} must be written as &amp;amp;.",
    "problem_html_bad_char_code": "{entity} at character {at} is not a valid character code: write &amp;amp; "
    "for a literal '&amp;'.",
    "problem_html_unknown_entity": "Telegram does not know the entity {entity} at character {at}: only "
    "&amp;lt; &amp;gt; &amp;amp; &amp;quot; and numeric ones like &amp;#160;. Write &amp;amp; for a literal "
    "'&amp;'.",
    "problem_html_unescaped_lt": "The '&lt;' at character {at} must be written as &amp;lt;.",
    "problem_html_br": "Telegram does not support &lt;br&gt; (character {at}): use a line break instead.",
    "problem_html_unknown_tag": "Telegram does not know the tag &lt;{tag}&gt; at character {at}. It allows "
    "only {allowed}.",
    "problem_html_unfinished_tag": "The tag {tag} at character {at} has no closing '&gt;': finish the tag, "
    "or "
    "write &amp;lt; for a literal '&lt;'.",
    "problem_html_closing_tag_attributes": "The closing tag &lt;/{tag}&gt; at character {at} cannot have "
    "attributes.",
    "problem_html_unopened_tag": "&lt;/{tag}&gt; at character {at} has no opening &lt;{tag}&gt;: remove it "
    "or "
    "add &lt;{tag}&gt;.",
    "problem_html_misnested_tag": "&lt;/{tag}&gt; at character {at} closes &lt;{tag}&gt; while "
    "&lt;{open_tag}&gt; "
    "(character {open_at}) is still open: add &lt;/{open_tag}&gt; first.",
    "problem_html_self_closing_tag": "&lt;{tag}/&gt; at character {at}: Telegram has no self-closing tags; "
    "write &lt;{tag}&gt;…&lt;/{tag}&gt;.",
    "problem_html_unexpected_character": "Unexpected '{character}' at character {at} inside the "
    "&lt;{tag}&gt; "
    "tag.",
    "problem_html_unclosed_quote": "The {attribute} value at character {at} has no closing {quote}.",
    "problem_html_formatting_in_code": "&lt;{tag}&gt; at character {at} is inside &lt;{block}&gt; (character "
    "{block_at}), and Telegram allows no formatting in code blocks: move it outside.",
    "problem_html_nested_tag": "&lt;{tag}&gt; at character {at} is inside another &lt;{tag}&gt; (character "
    "{outer_at}): close that one first with &lt;/{tag}&gt;.",
    "problem_html_span_class": '&lt;span&gt; at character {at} needs class="tg-spoiler": Telegram supports '
    "no other spans.",
    "problem_html_emoji_id": "&lt;tg-emoji&gt; at character {at} needs a numeric emoji-id, like "
    'emoji-id="5368324170671202".',
    "problem_html_link_no_href": "The &lt;a&gt; link at character {at} has no href: write "
    '&lt;a href="https://example.com"&gt;.',
    "problem_html_link_empty_href": "The &lt;a&gt; link at character {at} has an empty href: put the address "
    'in href="…".',
    "problem_html_link_has_space": "The &lt;a&gt; link at character {at} contains a space: remove it or "
    "write "
    "it as %20.",
    "problem_html_link_too_long": "The &lt;a&gt; link at character {at} is {length} characters long; the "
    "limit "
    "is {limit}.",
    "problem_html_link_invalid": "The &lt;a&gt; link at character {at} is not a valid address.",
    "problem_html_link_wrong_scheme": "The &lt;a&gt; link at character {at} must start with http://, "
    "https://, "
    "tg:// or mailto: (it starts with '{got}').",
    "problem_html_link_no_host": "The &lt;a&gt; link at character {at} has no host: write it like "
    "{scheme}://example.com/page.",
    "problem_html_link_incomplete": "The &lt;a&gt; link at character {at} has nothing after {url}: complete "
    "the address.",
    "problem_buttons_not_list": 'Buttons must be a list of {{"text": …, "url": …}}.',
    "problem_buttons_too_many": "There are {count} buttons; the limit is {limit}. Remove {excess}.",
    "problem_button_not_object": 'Button {button} must be {{"text": …, "url": …}}.',
    "problem_button_text_empty": "Button {button} has no label: write one.",
    "problem_button_text_too_long": "The label of button {button} is {length} characters long; the limit is "
    "{limit}.",
    "problem_button_placeholder_unknown": "The link of button {button} has a placeholder the bot does not "
    "know: '{names}'. Use {known}.",
    "problem_button_link_missing": "Button {button} has no link: add an http://, https:// or tg:// link.",
    "problem_button_link_has_space": "The link of button {button} contains a space: remove it or write it "
    "as %20.",
    "problem_button_link_too_long": "The link of button {button} is {length} characters long; the limit is "
    "{limit}.",
    "problem_button_link_invalid": "The link of button {button} is not a valid address.",
    "problem_button_link_wrong_scheme": "The link of button {button} must start with http://, https:// or "
    "tg:// "
    "(it starts with '{got}').",
    "problem_button_link_no_host": "The link of button {button} has no host: write it like "
    "{scheme}://example.com/page.",
    "problem_button_link_incomplete": "The link of button {button} has nothing after {url}: complete the "
    "address.",
    "problem_media_not_object": 'Media must be {{"type": …, "file_id": …}}.',
    "problem_media_type_unsupported": "This kind of attachment is not supported: send a photo, GIF, video, "
    "document, audio or voice message.",
    "problem_media_file_missing": "The media file is missing: send the file to the bot or give an http(s) "
    "link "
    "to it.",
    "problem_media_file_id_invalid": "This is not a Telegram file_id: send the file to the bot again.",
    "problem_media_link_has_space": "The media link contains a space: remove it or write it as %20.",
    "problem_media_link_too_long": "The media link is {length} characters long; the limit is {limit}.",
    "problem_media_link_invalid": "The media link is not a valid address.",
    "problem_media_link_wrong_scheme": "The media link must start with http:// or https:// (it starts with "
    "'{got}').",
    "problem_media_link_no_host": "The media link has no host: write it like {scheme}://example.com/page.",
    "problem_send_at_not_time": "The send time must be a date and time, e.g. 2025-05-01T09:00:00+03:00.",
    "problem_send_at_no_timezone": "The send time has no timezone: add a UTC offset, e.g. "
    "2025-05-01T09:00:00+03:00.",
    "problem_send_at_not_future": "The send time {send_at} is not in the future (it is now {now}): choose a "
    "later "
    "time.",
    # API refusals (the error's code and details)
    "problem_validation_error": "Some fields are not valid.",
    "problem_bad_request": "The request could not be understood.",
    "problem_not_found": "It is not there any more: perhaps it was deleted.",
    "problem_conflict": "The data changed meanwhile. Reload it and try again.",
    "problem_wrong_status": "This cannot be done now: the mailing is {status}.",
    "problem_approval_by_author": "You wrote this mailing: another admin or moderator must approve it.",
    "problem_approval_not_required": "This mailing does not need approval: its audience is small enough.",
    "problem_approval_required": "This mailing needs approval by another admin or moderator before it "
    "can start.",
    "problem_version_conflict": "Someone else changed this mailing meanwhile: open it again and repeat your "
    "change.",
    "problem_last_admin": "This is the last admin: make someone else admin first.",
    "problem_deliveries_pruned": "This mailing ended long ago: its list of recipients was removed and "
    "only its counts are kept, so it cannot be sent again.",
    "problem_telegram_error": "Telegram refused the mailing. Telegram said: “{description}”",
    "problem_telegram_unavailable": "Telegram cannot be reached right now. Try again in a few seconds.",
    "problem_unauthorized": "The service did not accept the credentials.",
    "problem_forbidden": "You are not allowed to do this.",
    "problem_invalid_key": "The key is not valid.",
    "problem_method_not_allowed": "The service does not support this request.",
    "problem_idempotency_key_reused": "Mailing {mailing_id} was already created by this save, with different "
    "contents.",
    "problem_payload_too_large": "The request is too large for the service.",
    "problem_unsupported_media_type": "The service does not accept the request in this format.",
    "problem_rate_limited": "Too many attempts. Please try again later.",
    "problem_internal_error": "Something went wrong in the service. Please try again.",
    "problem_unavailable": "The service is unavailable right now. Please try again shortly.",
    # Invite links
    "btn_invite_links": "🔗 Invite links",
    "invite_links_title": "<b>Invite links</b> ({count})",
    "invite_links_none": "<b>Invite links</b>\nThere are none yet. A link counts who subscribed through it: "
    "make one with “➕ New link”.",
    "invite_link_line": "<b>{name}</b>\n{url}\nbrought {brought}, active {active}",
    "invite_links_more": "…and {count} more",
    "btn_new_link": "➕ New link",
    "ask_link_name": "Send the new link's name (only staff see it), e.g. “Spring flyer”. /cancel stops.",
    "link_name_blank": "The name cannot be blank: send a few words about where the link will be used.",
    "link_refused": "The link was not made:\n{errors}\nSend another name, or /cancel.",
    "link_created": "✅ Link made: <b>{name}</b>\n{url}\nShare it: everyone who subscribes through it is "
    "counted under /adminmenu → Invite links.",
    # Tagging users from a CSV
    "btn_tag_users": "🏷 Tag users (CSV)",
    "ask_tags_csv": "Send a CSV file with lines <code>tg_id,tag</code> (e.g. <code>123456789,vip</code>): "
    "each user gets the tag. A first line <code>tg_id,tag</code> is skipped. /cancel stops.",
    "tags_csv_not_file": "Please send the CSV as a file (or /cancel).",
    "tags_csv_too_big": "The file is too large: at most {limit} KB. Split it and send the parts.",
    "tags_csv_not_text": "This file is not UTF-8 text: save it as CSV (UTF-8) and send it again.",
    "tags_csv_bad_line": "Line {line}: {problem}\nFix the file and send it again, or /cancel.",
    "csv_problem_columns": "expected two values, tg_id,tag; found {count}.",
    "csv_problem_tg_id": "“{value}” is not a Telegram id (digits).",
    "csv_problem_tag": "“{value}” is not a tag: 1–64 letters, digits, _ - : or . (no spaces).",
    "tags_csv_empty": "The file has no lines tg_id,tag. Send another one, or /cancel.",
    "tags_csv_too_many": "The file has {count} lines; at most {limit} at a time.",
    "tags_csv_done": "✅ Done: {lines} lines read, {changed} tag changes made.",
    "tags_csv_missing": "Unknown ids (they never wrote to the bot), skipped: {ids}",
    "tags_csv_missing_more": " …and {count} more",
    # A mailing's audience
    "btn_audience": "👥 Audience",
    "audience_all": "everyone",
    "audience_everyone": "everyone ({total})",
    "audience_some": "to {count} of {total} — {who}",
    "audience_line": "Audience: {audience}",
    "audience_choice": "<b>Audience</b>: {audience}\n\nWho gets this mailing: every subscriber, or some of "
    "them by tags and language?",
    "btn_audience_everyone": "👥 Everyone",
    "btn_audience_pick": "🎯 Pick by tags and language",
    "ask_segment": "Send who gets it, e.g. <code>tags: vip, clients; language: ru</code>\n"
    "<code>tags:</code> — subscribers with any of these tags; <code>language:</code> — the language of "
    "their Telegram (<code>ru</code>, <code>en</code>…). Either one, or both.",
    "audience_set_everyone": "The mailing goes to everyone",
    # A mailing's canary, and why a paused mailing paused
    "btn_canary": "🐤 Canary",
    "btn_canary_off": "🚫 No canary",
    "canary_none": "none",
    "canary_size_percent": "{percent}% of the audience",
    "canary_size_count": "{count} people",
    "canary_about": "{size} first, the rest {wait} min later unless over {share}% of them were not reached",
    "canary_line": "Canary: {canary}",
    "ask_canary": "<b>Canary</b>: {canary}\n\nSend to a random sample first and, after a wait, to the rest — "
    "unless too many of the sample were not reached (failed, blocked or in doubt): then the mailing "
    "pauses and you decide.\n\nSend the sample, the wait in minutes and the share allowed, e.g. "
    "<code>5% 30 20%</code> or <code>200</code> (10 minutes and 20% unless given).",
    "canary_set_off": "The mailing goes to everyone at once",
    "canary_blank": "There is nothing to read: write e.g. <code>5% 30 20%</code>.",
    "canary_too_many": "That is more than I read: the sample, the wait in minutes and the share allowed, "
    "e.g. <code>5% 30 20%</code>.",
    "canary_bad_percent": "“{word}” is not a sample: a share above 0 and at most 50%, such as 5%.",
    "canary_bad_count": "“{word}” is not a sample: a number of people from 1 to 10,000,000, or a share "
    "such as 5%.",
    "canary_bad_wait": "“{word}” is not a wait: minutes from 0 to 1440.",
    "canary_bad_share": "“{word}” is not a share allowed: a percentage from 0% to 100%, such as 20%.",
    "canary_sample_sending": "Canary: the sample is being sent",
    "canary_waiting": "Canary: the rest at {at}, if the sample went well",
    "pause_line": "Paused: {reason}",
    "pause_by_staff": "by staff",
    "pause_by_canary": "the canary failed, {wrong} of its {sends} sends were not reached ({share}%)",
    "pause_by_failures": "it paused itself, {failed} of its last {sends} sends failed ({share}%)",
    "pause_most_common": "; most common: {error} ({count})",
    "segment_no_colon": "“{clause}” has no colon: write <code>tags: vip</code> or <code>language: ru</code>.",
    "segment_unknown_key": "I know only <code>tags:</code> and <code>language:</code>, not “{name}”.",
    "segment_no_values": "Nothing follows “{name}:”.",
    "segment_bad_tag": "“{tag}” is not a tag: 1–64 letters, digits, _ - : or . (no spaces).",
    "segment_bad_language": "“{language}” is not a language code: 2 or 3 letters, such as ru or en.",
    "segment_blank": "There is nothing to read: write e.g. <code>tags: vip; language: ru</code>.",
    "seg_languages": "language {values}",
    "seg_tags_any": "tag {values}",
    "seg_tags_all": "tags {values}",
    "seg_tags_none": "without tags {values}",
    "seg_roles": "role {values}",
    "seg_sources": "came via {values}",
    "seg_subscribed_after": "subscribed from {moment}",
    "seg_subscribed_before": "subscribed before {moment}",
    "seg_or": " or ",
    "seg_and": " and ",
    "seg_comma": ", ",
    # Recurring mailings (telebot_app/handlers/series.py)
    "btn_repeat": "🔁 Repeat",
    "btn_repeat_daily": "Every day",
    "btn_repeat_weekdays": "On weekdays…",
    "btn_repeat_monthly": "Monthly…",
    "btn_repeat_off": "Do not repeat",
    "btn_repeat_forever": "Until I end it",
    "btn_repeat_until": "Until a date…",
    "btn_repeat_count": "A number of times…",
    "repeat_choice": "<b>Repeat</b>\nNow: {repeat}\n\nThe first run goes at the send time ({send_at}), "
    "each next one at the same time of day in {zone}, also after the clocks change.",
    "repeat_none": "does not repeat",
    "repeat_needs_time": "Set a send time first (not “now”): the first run goes then, "
    "the next ones at the same time of day.",
    "repeat_pick_weekdays": "On which days? Tap them, then ✔ Done.",
    "repeat_pick_a_day": "Pick at least one day.",
    "repeat_pick_day": "On which day of the month? A day a month does not have (say the 31st) "
    "means that month's last day.",
    "repeat_end_choice": "<b>Repeat:</b> {repeat}\nUntil when?",
    "ask_repeat_until": "Send the last date it may run on, as <code>DD.MM.YYYY</code> (that day included).",
    "ask_repeat_count": "Send how many times it runs in all, from 1 to {limit}.",
    "repeat_until_unreadable": "That is not a date: write it as <code>DD.MM.YYYY</code>, e.g. {example}.",
    "repeat_count_unreadable": "Send a whole number from 1 to {limit}.",
    "repeat_set": "The repeat is set.",
    "repeat_off": "It will not repeat.",
    "repeat_no_time": "needs a send time (not “now”): the first run goes then",
    "menu_repeat_line": "🔁 Repeats: {repeat}",
    "rep_daily": "every day at {time}",
    "rep_weekdays": "on {days} at {time}",
    "rep_monthly": "every month on day {day} at {time}",
    "rep_until": ", until {date}",
    "rep_count": ", number of runs: {count}",
    "rep_forever": ", until ended",
    "wd_0": "Mon",
    "wd_1": "Tue",
    "wd_2": "Wed",
    "wd_3": "Thu",
    "wd_4": "Fri",
    "wd_5": "Sat",
    "wd_6": "Sun",
    "series_saved": "🔁 The recurring mailing “{name}” (series #{series_id}) is saved: {repeat}.\n"
    "Next run: {next_run}. Each run is a mailing of its own, in /adminmenu → Scheduled mailings "
    "a day ahead.",
    "btn_series": "🔁 Recurring",
    "series_list_title": "<b>Recurring mailings</b> ({total})",
    "series_line": "#{series_id} <b>{name}</b> — {repeat}\n{status}; next run: {next_run}",
    "series_empty": "There are no recurring mailings. Compose one with /newmailing and press 🔁 Repeat.",
    "sstatus_active": "active",
    "sstatus_paused": "paused",
    "sstatus_finished": "all runs made",
    "sstatus_ended": "ended",
    "btn_series_pause": "⏸ #{series_id}",
    "btn_series_resume": "▶️ #{series_id}",
    "btn_series_end": "⏹ #{series_id}",
    "btn_yes_end": "Yes, end it",
    "series_end_confirm": "End recurring mailing #{series_id} for good? Its runs not yet started are "
    "removed; the ones sent stay.",
    "series_paused": "Paused: no runs until you resume it.",
    "series_resumed": "Resumed from its next time.",
    "series_ended": "Ended.",
    "series_gone": "This recurring mailing is gone.",
    "series_changed": "Someone changed it meanwhile: here it is as it is now.",
    "series_saved_before": "This draft was already saved, before your last change, as recurring mailing "
    "#{series_id} (/adminmenu → 🔁 Recurring). Saving it again makes another one.",
    "series_run_line": "🔁 A run of recurring mailing #{series_id}",
    "problem_rule_kind_unknown": "Repeat must be daily, weekdays or monthly (got “{got}”).",
    "problem_rule_time_invalid": "The time must be HH:MM on a 24-hour clock, such as 09:30 (got “{got}”).",
    "problem_rule_weekdays_missing": "Pick at least one weekday.",
    "problem_rule_weekday_invalid": "Weekdays are 0 (Monday) to 6 (Sunday); {got} is not one.",
    "problem_rule_weekdays_unexpected": "Weekdays go only with a weekdays repeat.",
    "problem_rule_day_missing": "A monthly repeat needs the day of the month, 1 to 31.",
    "problem_rule_day_invalid": "The day of the month is 1 to 31; {got} is not one.",
    "problem_rule_day_unexpected": "A day of the month goes only with a monthly repeat.",
    "problem_rule_count_invalid": "The number of runs is 1 to {limit}; {got} is not.",
    "problem_rule_until_past": "The last day {until} is already past: today is {today}.",
    "problem_rule_never_runs": "This repeat never runs: its first time would come after the last day, "
    "{until}.",
    "problem_series_wrong_status": "This cannot be done to the recurring mailing now: it has changed "
    "meanwhile.",
}
