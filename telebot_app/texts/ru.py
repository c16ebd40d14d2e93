"""Русские тексты (HTML; {подстановки} экранируются)."""

TEXTS = {
    # Меню команд
    "cmd_start": "Подписаться на рассылки",
    "cmd_help": "Что умеет бот",
    "cmd_stop": "Отписаться",
    "cmd_adminmenu": "Меню администратора",
    "cmd_newmailing": "Создать рассылку",
    "cmd_cancel": "Выйти из текущего диалога",
    # Подписка
    "welcome": "Здравствуйте, {name}! Вы подписаны и будете получать наши рассылки здесь.\n"
    "/stop — отписаться, /help — что ещё можно сделать.",
    "admin_granted": "Здравствуйте, {name}! Теперь вы администратор.\n"
    "/adminmenu — меню администратора, /newmailing — новая рассылка, /help — все команды.",
    "unsubscribed": "Вы отписались и больше не будете получать рассылки. /start — подписаться снова.",
    "not_subscribed": "Вы не подписаны. /start — подписаться.",
    "help_subscriber": "<b>Что можно сделать</b>\n/start — подписаться (или вернуться)\n/stop — отписаться\n"
    "/help — этот список",
    "help_moderator": "<b>Что можно сделать</b> (модератор)\n/newmailing — создать рассылку "
    "(«🔁 Повтор» делает её повторяющейся)\n"
    "/adminmenu — запланированные рассылки: просмотр, правка, удаление, отправка сейчас, пауза, продолжение; "
    "отправленные рассылки: итоги, повтор, CSV недоставленных; копия любой рассылки; "
    "повторяющиеся рассылки: пауза, продолжение, остановка; "
    "включение и выключение отчётов о рассылках\n"
    "/cancel — выйти из текущего диалога\n/start, /stop — подписаться, отписаться\n/help — этот список",
    "help_admin": "<b>Что можно сделать</b> (администратор)\n/newmailing — создать рассылку "
    "(«🔁 Повтор» делает её повторяющейся)\n"
    "/adminmenu — роли пользователей; запланированные рассылки: просмотр, правка, удаление, отправка сейчас, "
    "пауза, продолжение; отправленные рассылки: итоги, повтор, CSV недоставленных; копия любой рассылки; "
    "повторяющиеся рассылки: пауза, продолжение, остановка; "
    "включение и выключение отчётов о рассылках; пригласительные ссылки; метки "
    "пользователей из CSV\n/cancel — выйти из текущего диалога\n"
    "/start, /stop — подписаться, отписаться\n/help — этот список",
    # Общее
    "refused": "Извините, это доступно только администраторам и модераторам.",
    "refused_admin_only": "Извините, это доступно только администраторам.",
    "api_unavailable": "Сервис сейчас не отвечает. Попробуйте ещё раз чуть позже — всё введённое сохранено.",
    "rate_limited": "Слишком много попыток. Попробуйте позже.",
    "api_error": "Не получилось: {message}",
    "internal_error": "У нас что-то пошло не так. Попробуйте ещё раз.",
    "stale_button": "Эта кнопка устарела.",
    "stale_draft": "Эта кнопка относится к уже закрытому черновику. /newmailing — создать рассылку.",
    "unknown_command": "Такой команды я не знаю. /help — список команд.",
    "stray_message": "Я только присылаю рассылки. /help — что можно сделать.",
    "cancelled": "Готово, диалог закрыт.",
    "cancelled_draft_kept": "Готово, диалог закрыт. Черновик сохранён: чтобы продолжить, "
    "отправьте /newmailing.",
    "nothing_to_cancel": "Отменять нечего.",
    "error_line": "• {message}",
    "invalid_answer": "Так не получится:\n{errors}",
    "btn_no": "Нет",
    "btn_back": "◀ Назад",
    "btn_cancel": "Отмена",
    # Меню администратора и роли
    "admin_menu": "<b>Меню администратора</b>",
    "btn_roles": "👤 Изменить роль пользователя",
    "btn_mailings": "🗓 Запланированные рассылки",
    "btn_new_mailing": "✉ Новая рассылка",
    "role_subscriber": "подписчик",
    "role_moderator": "модератор",
    "role_admin": "администратор",
    "role_as_subscriber": "подписчиком",
    "role_as_moderator": "модератором",
    "role_as_admin": "администратором",
    "status_active": "активна",
    "status_unsubscribed": "отменена",
    "status_blocked": "бот заблокирован",
    "role_ask_target": "Пришлите Telegram id пользователя (цифрами) или перешлите любое его сообщение. "
    "/cancel — отмена.",
    "role_not_a_number": "Это не Telegram id: пришлите только цифры (например, 123456789) "
    "или перешлите сообщение пользователя.",
    "role_forward_hidden": "Не видно, кто автор этого сообщения: его скрывают настройки приватности, или "
    "сообщение отправлено от имени чата. Пришлите Telegram id.",
    "role_unknown_user": "Пользователя с id {tg_id} нет: сначала ему нужно отправить боту /start. "
    "Пришлите другой id или /cancel.",
    "role_user_card": "<b>{name}</b> ({username})\nid: <code>{tg_id}</code>\nроль: <b>{role}</b>\n"
    "подписка: {status}",
    "role_choose": "Выберите новую роль:",
    "role_confirm": "Сделать пользователя {tg_id} <b>{role}</b>?",
    "btn_yes_change": "Да, изменить",
    "role_done": "Готово: теперь роль — <b>{role}</b>.",
    "role_done_short": "Роль изменена",
    "role_change_dropped": "Роль осталась прежней.",
    "role_last_admin": "Это последний администратор — его нельзя лишить этой роли. Сначала назначьте "
    "администратором кого-то другого.",
    # Статусы рассылок и вложения
    "mstatus_scheduled": "запланирована",
    "mstatus_sending": "отправляется",
    "mstatus_paused": "на паузе",
    "mstatus_finished": "завершена",
    "mstatus_cancelled": "отменена",
    "media_photo": "фото",
    "media_animation": "GIF",
    "media_video": "видео",
    "media_document": "документ",
    "media_audio": "аудио",
    "media_voice": "голосовое сообщение",
    # Просмотр рассылок
    "browser_empty": "Запланированных рассылок нет.",
    "browser_card": "<b>№{number} из {total}</b>\n<b>{name}</b> (id {mailing_id})\nВремя отправки: "
    "{send_at}\n"
    "Статус: {status}",
    "browser_progress": "Ход отправки: {done} из {total}, {rate}/с, осталось примерно {eta}",
    "browser_first": "Это первая.",
    "browser_last": "Это последняя (№{total}).",
    "browser_ask_number": "Какую показать? Пришлите номер от 1 до {total}. /cancel — отмена.",
    "browser_not_a_number": "Пришлите просто номер от 1 до {total}.",
    "browser_out_of_range": "Такой рассылки нет: пришлите номер от 1 до {total}.",
    "browser_delete_confirm": "Удалить рассылку <b>{name}</b> (id {mailing_id})? Это необратимо.",
    "browser_send_now_confirm": "Отправить рассылку <b>{name}</b> (id {mailing_id}) всем подписчикам "
    "прямо сейчас?",
    "browser_deleted": "Удалено",
    "browser_cannot_delete": "Отправка уже началась, удалить рассылку нельзя.",
    "preview_failed": "(Показать рассылку не удалось: {message})",
    "preview_unavailable": "Telegram или сервис не отвечает — попробуйте чуть позже",
    "mailing_gone": "Этой рассылки больше нет.",
    "btn_goto": "Перейти к №…",
    "btn_edit": "✏ Изменить",
    "btn_delete": "🗑 Удалить",
    "btn_send_now": "🚀 Отправить сейчас",
    "btn_pause": "⏸ Пауза",
    "btn_resume": "▶ Продолжить",
    "btn_stop": "⏹ Отменить отправку",
    "btn_refresh": "🔄 Обновить",
    # Отправленные рассылки (вкладка «Отправленные») и копии
    "btn_sent_mailings": "📜 Отправленные рассылки",
    "btn_duplicate": "📄 Дублировать",
    "btn_retry_unknown": "🔁 Повторить неизвестные ({count})",
    "btn_retry_failed": "🔁 Повторить неудачные ({count})",
    "btn_unreached_csv": "📎 CSV недоставленных",
    "btn_yes_send_again": "Да, отправить снова",
    "history_empty": "Отправленных рассылок пока нет.",
    "history_counts": "Доставлено: {sent} · заблокировали бота: {blocked} · ошибки: {failed} · "
    "неизвестно: {unknown}",
    "history_cancelled": "Отменено до отправки: {count}",
    "history_speed": "Длительность: {duration} · в среднем {rate} сообщ./с",
    "history_clicks": "Нажатия на кнопки: {total}",
    "history_click_line": "{number}. {text} — {clicks} ({share} %)",
    "history_pruned": "Список получателей удалён {at}; остались только итоговые числа.",
    "history_retry_unknown_confirm": "Отправить <b>{name}</b> (id {mailing_id}) ещё раз получателям с "
    "неизвестным исходом доставки (их {count})? Telegram мог уже доставить её некоторым из них — они "
    "получат её дважды.",
    "history_retry_failed_confirm": "Отправить <b>{name}</b> (id {mailing_id}) ещё раз получателям, которым "
    "её не удалось доставить (их {count})?",
    "history_retry_started": "Отправляем снова",
    "history_retrying": "🔁 <b>{name}</b> снова отправляется — получателей: {count}. Пока идёт отправка, "
    "рассылка находится в разделе «🗓 Запланированные рассылки».",
    "history_nothing_unknown": "Доставок с неизвестным исходом у этой рассылки больше нет — "
    "повторять нечего.",
    "history_nothing_failed": "Неудачных доставок у этой рассылки больше нет — повторять нечего.",
    "history_cannot_retry": "Повторить можно только завершённую рассылку, а эта — {status}.",
    "history_pruned_no_retry": "Эта рассылка закончилась давно: список её получателей удалён, остались "
    "только итоговые числа, поэтому отправить её снова нельзя. Сделайте копию.",
    "history_pruned_no_csv": "Эта рассылка закончилась давно: список её получателей удалён, остались только "
    "итоговые числа, поэтому CSV нет.",
    "history_csv_empty": "Рассылку получили все — в списке никого нет.",
    "history_csv_too_large": "Список недоставленных больше 50 МБ, которые Telegram позволяет отправить боту. "
    "Загрузите его через API: <code>GET {path}</code>",
    "history_csv_caption": "Кому не доставлена <b>{name}</b> (id {mailing_id}) и почему",
    "draft_replace_copy_confirm": "У вас есть незаконченный черновик <b>{name}</b>. Удалить его и сделать "
    "копию этой рассылки?",
    "history_copy_made": "Копия открыта",
    "history_copy_opened": "📄 Копия рассылки <b>{name}</b> (id {mailing_id}): тот же текст, кнопки, "
    "вложение и аудитория. Укажите время отправки, затем при желании измените что угодно и сохраните.",
    "menu_title_copy": "Новая рассылка (копия рассылки {mailing_id})",
    "btn_yes_delete": "Да, удалить",
    "btn_yes_send": "Да, отправить",
    "btn_yes_stop": "Да, отменить отправку",
    # Управление отправкой
    "ctl_paused": "Отправка на паузе",
    "ctl_resumed": "Отправка продолжена",
    "ctl_cancelled": "Отправка отменена.",
    "ctl_started": "Отправка началась",
    "ctl_wrong_status": "Сейчас нельзя: рассылка {status}.",
    # Одобрение вторым человеком
    "approval_waiting": "🔐 Нужно одобрение администратора или модератора, который не является автором; "
    "до этого рассылка не начнётся.",
    "approval_given": "✅ Одобрена: {who}, {at}",
    "approval_given_by_you": "✅ Одобрена вами, {at}",
    "approval_by_client": "клиент API",
    "btn_approve": "✅ Одобрить",
    "approve_done": "Одобрено",
    "approve_refused": "Не одобрено: {why}",
    "approve_done_started": "Одобрено: время отправки уже наступило, отправка началась",
    "approval_card_done": "✅ Вы одобрили эту рассылку.",
    "saved_needs_approval": "🔐 Перед отправкой её должен одобрить другой администратор или модератор: "
    "им отправлен запрос.",
    "ctl_needs_approval": "Сначала рассылку должен одобрить другой администратор или модератор.",
    "ctl_cancel_confirm": "Отменить отправку рассылки {mailing_id}? Те, кто ещё не получил её, "
    "уже не получат.",
    # Конструктор
    "draft_exists": "У вас есть незаконченный черновик <b>{name}</b>.",
    "btn_continue_draft": "Продолжить его",
    "btn_start_over": "Удалить его и начать заново",
    "draft_replace_confirm": "У вас есть незаконченный черновик <b>{name}</b>. Удалить его и "
    "изменить эту рассылку?",
    "draft_missing": "Этот черновик уже закрыт. /newmailing — начать новый.",
    "ask_name": "Пришлите внутреннее название рассылки (подписчики его не видят).",
    "ask_text": "Пришлите текст рассылки. Оформите его в Telegram или напишите HTML-теги: "
    '&lt;b&gt;, &lt;i&gt;, &lt;u&gt;, &lt;s&gt;, &lt;a href="…"&gt;, &lt;code&gt;, &lt;pre&gt;, '
    "&lt;blockquote&gt;, &lt;tg-spoiler&gt;. Текст без оформления и тегов уйдёт ровно таким, каким вы его "
    "написали.",
    "ask_time": "Когда отправить? Пришлите время по часовому поясу {zone}: <code>ДД.ММ.ГГГГ ЧЧ:ММ</code> "
    "(например, <code>{example}</code>), просто <code>ЧЧ:ММ</code> (ближайшее такое время) "
    "или <code>сейчас</code>.",
    "time_unreadable": "Не могу разобрать время. Напишите <code>ДД.ММ.ГГГГ ЧЧ:ММ</code> или "
    "<code>ЧЧ:ММ</code> (часовой пояс {zone}) либо <code>сейчас</code>.",
    "time_invalid": "Это время не подходит:\n{errors}\nПришлите другое (часовой пояс {zone}).",
    "time_now": "сейчас (сразу после сохранения)",
    "send_text_please": "Здесь нужен текст (или /cancel).",
    "use_menu": "Пожалуйста, пользуйтесь кнопками ниже (или /cancel).",
    "menu_title_new": "Новая рассылка",
    "menu_title_edit": "Изменение рассылки {mailing_id}",
    "menu_summary": "<b>{title}</b>\nНазвание: <b>{name}</b>\nВремя отправки: {send_at}\n"
    "Аудитория: {audience}\nВложение: {media}\n"
    "Кнопки:\n{buttons}\n\nТекст:\n<code>{text}</code>",
    "menu_button_line": "{number}. {text} → {url}",
    "menu_more_buttons": "…и ещё {count}",
    "menu_none": "нет",
    "btn_add_button": "➕ Кнопка",
    "btn_manage_buttons": "🔀 Кнопки",
    "btn_media_add": "🖼 Добавить вложение",
    "btn_media_replace": "🖼 Заменить вложение",
    "btn_media_remove": "✖ Убрать вложение",
    "btn_change_name": "✏ Название",
    "btn_change_text": "✏ Текст",
    "btn_change_time": "🕒 Время",
    "btn_preview": "👁 Предпросмотр",
    "btn_save": "💾 Сохранить",
    "btn_exit": "✖ Выйти",
    "btn_done": "✔ Готово",
    "btn_yes_save": "Да, сохранить",
    "btn_yes_discard": "Да, удалить черновик",
    "btn_overwrite": "Сохранить мою версию поверх",
    "btn_reload": "Отбросить мои правки, загрузить новую версию",
    "btn_save_as_new": "Сохранить как новую рассылку",
    "ask_button_text": "Пришлите надпись кнопки {number}.",
    "ask_button_url": "Пришлите ссылку для «{text}» (http://, https:// или tg://).",
    "button_added": "Кнопка добавлена: {text} → {url}",
    "buttons_manage": "Кнопки ({count}): переставляйте ⬆ ⬇, удаляйте ✖. Подписчики увидят их в этом порядке.",
    "button_info": "{text} → {url}",
    "button_deleted": "Кнопка удалена",
    "button_at_edge": "Она уже с краю.",
    "ask_media": "Пришлите одно фото, GIF, видео, документ, аудио или голосовое сообщение. Оно заменит "
    "прежнее вложение.",
    "media_added": "Вложение: {kind}.",
    "media_replaced": "Вложение заменено, теперь это {kind}.",
    "media_removed": "Вложение убрано",
    "media_refused_text": "Это текст, а не файл. Пришлите фото, GIF, видео, документ, аудио или голосовое "
    "сообщение (или /cancel).",
    "media_refused_sticker": "Стикер нельзя отправить в рассылке. Пришлите фото, GIF, видео, документ, "
    "аудио или голосовое сообщение.",
    "media_refused_video_note": "Кружок нельзя отправить в рассылке. Пришлите его как обычное видео.",
    "media_refused_other": "В рассылку нельзя добавить {kind}. Пришлите фото, GIF, видео, документ, "
    "аудио или голосовое сообщение.",
    "preview_intro": "👁 Предпросмотр — ровно так рассылку увидят подписчики:",
    "preview_sent": "Предпросмотр отправлен",
    "test_failed": "Предпросмотр не отправлен:\n{errors}",
    "save_confirm": "Сохранить рассылку <b>{name}</b>? Время отправки: {send_at}.",
    "save_invalid": "Рассылка не сохранена:\n{errors}\nЧерновик сохранён.",
    "saved": "✅ Сохранено: рассылка <b>{name}</b> (id {mailing_id}) будет отправлена {send_at}.",
    "saved_now": "✅ Сохранено: рассылка <b>{name}</b> (id {mailing_id}) отправляется прямо сейчас.",
    "updated": "✅ Изменения сохранены: рассылка <b>{name}</b> (id {mailing_id}) будет отправлена {send_at}.",
    "saved_short": "Сохранено",
    "version_conflict": "Пока вы редактировали рассылку {mailing_id}, её изменил кто-то другой, поэтому ваши "
    "правки ещё не применены. Черновик сохранён. Как поступить?",
    "edited_mailing_gone": "Рассылку, которую вы редактировали, тем временем удалили. Черновик сохранён.",
    "mailing_not_editable": "Изменить можно только запланированную рассылку, а эта {status}.",
    "mailing_not_editable_now": "Рассылку уже нельзя изменить: она {status}. Черновик сохранён.",
    "exit_confirm": "Удалить этот черновик? Всё, что в нём, пропадёт.",
    "draft_discarded": "Черновик удалён.",
    # Роли и отчёты
    "btn_reports_on": "🔔 Отчёты о рассылках: включены",
    "btn_reports_off": "🔕 Отчёты о рассылках: выключены",
    "reports_turned_on": "Отчёты включены: после каждой рассылки вам придёт отчёт.",
    "reports_turned_off": "Отчёты выключены: после рассылок они больше не будут вам приходить.",
    "role_now_admin": "Вас назначили администратором.\n/adminmenu — роли пользователей, запланированные "
    "рассылки и ваши отчёты, /newmailing — новая рассылка, /help — все команды.",
    "role_now_moderator": "Вас назначили модератором.\n/newmailing — новая рассылка, /adminmenu — "
    "запланированные рассылки и ваши отчёты, /help — все команды.",
    "role_now_subscriber": "Теперь вы подписчик: меню администратора и создание рассылок вам больше "
    "недоступны. /help — все команды.",
    # Диалоги: выход, альбомы, подтверждения
    "leave_hint_draft": "/cancel — выйти; черновик сохранится.",
    "stray_staff": "Сейчас я ничего у вас не спрашиваю. /adminmenu — меню администратора, "
    "/newmailing — новая рассылка.",
    "stray_staff_draft": "Сейчас я ничего у вас не спрашиваю. Черновик сохранён: чтобы продолжить, "
    "отправьте /newmailing. /adminmenu — меню администратора.",
    "media_album_first_kept": "Это альбом, а в рассылке может быть только одно вложение, поэтому "
    "добавлен только первый файл.",
    "media_remove_confirm": "Убрать вложение ({kind}) из рассылки?",
    "btn_yes_remove": "Да, убрать",
    "button_delete_confirm": "Удалить кнопку «{text}» ({url})?",
    "btn_keep": "Нет, оставить",
    "caption_offer": "У этого файла ({kind}) есть подпись. Сделать подпись текстом рассылки, "
    "а файл — её вложением?",
    "btn_caption_both": "Да, текст и вложение",
    "btn_caption_text": "Только текст, без файла",
    "btn_caption_neither": "Нет, пришлю текст отдельно",
    "content_location": "геопозицию",
    "content_contact": "контакт",
    "content_poll": "опрос",
    "content_dice": "анимированный эмодзи",
    "content_venue": "место на карте",
    "content_game": "игру",
    "content_story": "историю",
    "content_invoice": "счёт на оплату",
    "content_giveaway": "розыгрыш",
    "content_gift": "подарок",
    "content_other": "такое сообщение",
    # Как прочитан набранный текст
    "text_read_as_html": "Текст принят как HTML: теги станут оформлением.",
    "text_read_as_plain": "Текст принят как обычный: подписчики увидят его ровно таким, каким вы его "
    "написали.",
    "text_read_as_plain_why": "Текст принят как обычный: подписчики увидят его ровно таким, каким вы его "
    "написали, вместе с тегами. Если нужно HTML-оформление, исправьте ошибку и замените текст кнопкой "
    "«✏ Текст» в меню. Ошибка: {problem}",
    # Ошибки проверки (коды API); «в позиции N» считает символы с 1
    "problem_required": "Это поле обязательно.",
    "problem_invalid": "Недопустимое значение.",
    "problem_null": "Это поле не может быть пустым (null).",
    "problem_unknown": "Такого поля нет.",
    "problem_type": "Неверный тип данных.",
    "problem_nul_character": "В тексте не может быть символа NUL (U+0000).",
    "problem_validator_failed": "Недопустимое значение.",
    "problem_format": "Значение не удалось записать в нужном формате.",
    "problem_invalid_awareness": "Время указано не так: проверьте часовой пояс.",
    "problem_invalid_utf8": "Текст не в кодировке UTF-8.",
    "problem_invalid_uuid": "Это не UUID.",
    "problem_invalid_ip": "Это не IP-адрес.",
    "problem_invalid_ip_interface": "Это не IP-интерфейс (адрес с маской сети).",
    "problem_special": "Особые числа (nan, infinity) здесь не допускаются.",
    "problem_too_large": "Число слишком большое.",
    "problem_name_not_text": "Название должно быть текстом.",
    "problem_name_empty": "Название пустое: придумайте короткое внутреннее название.",
    "problem_name_too_long": "Название длиннее {limit} символов (сейчас {length}). Сократите его.",
    "problem_text_not_text": "Текст рассылки должен быть строкой HTML.",
    "problem_text_empty": "Текст пустой: напишите текст рассылки.",
    "problem_text_too_long": "Текст без учёта оформления длиннее {limit} символов (сейчас {length}): "
    "сократите его на {excess} симв.",
    "problem_placeholder_unknown": "В тексте неизвестная подстановка «{names}»: можно {known}.",
    "problem_html_unclosed_tag": "Тег &lt;{tag}&gt; в позиции {at} не закрыт: добавьте &lt;/{tag}&gt;.",
    "problem_html_unescaped_amp": "Знак «&amp;» в позиции {at} нужно записать как &amp;amp;.",
    "problem_html_bad_char_code": "{entity} в позиции {at} — не код символа. Чтобы написать сам знак "
    "«&amp;», "
    "пишите &amp;amp;.",
    "problem_html_unknown_entity": "Мнемоники {entity} (позиция {at}) Telegram не знает: он понимает только "
    "&amp;lt; &amp;gt; &amp;amp; &amp;quot; и числовые коды вроде &amp;#160;. Сам знак «&amp;» пишите как "
    "&amp;amp;.",
    "problem_html_unescaped_lt": "Знак «&lt;» в позиции {at} нужно записать как &amp;lt;.",
    "problem_html_br": "Тег &lt;br&gt; в позиции {at} Telegram не поддерживает: просто перенесите строку.",
    "problem_html_unknown_tag": "Тега &lt;{tag}&gt; (позиция {at}) Telegram не знает. Можно только такие: "
    "{allowed}.",
    "problem_html_unfinished_tag": "Тег {tag} в позиции {at} не закрыт знаком «&gt;»: допишите тег, а если "
    "нужен "
    "сам знак «&lt;», пишите &amp;lt;.",
    "problem_html_closing_tag_attributes": "У закрывающего тега &lt;/{tag}&gt; в позиции {at} не может быть "
    "атрибутов.",
    "problem_html_unopened_tag": "У тега &lt;/{tag}&gt; в позиции {at} нет открывающего &lt;{tag}&gt;: "
    "уберите его или добавьте &lt;{tag}&gt;.",
    "problem_html_misnested_tag": "&lt;/{tag}&gt; в позиции {at} закрывает &lt;{tag}&gt;, но внутри ещё "
    "открыт "
    "&lt;{open_tag}&gt; (позиция {open_at}): сначала добавьте &lt;/{open_tag}&gt;.",
    "problem_html_self_closing_tag": "&lt;{tag}/&gt; в позиции {at}: самозакрывающихся тегов в Telegram нет, "
    "пишите &lt;{tag}&gt;…&lt;/{tag}&gt;.",
    "problem_html_unexpected_character": "Лишний знак «{character}» в позиции {at} внутри тега "
    "&lt;{tag}&gt;.",
    "problem_html_unclosed_quote": "Значение атрибута {attribute} в позиции {at} не закрыто кавычкой "
    "{quote}.",
    "problem_html_formatting_in_code": "&lt;{tag}&gt; в позиции {at} стоит внутри &lt;{block}&gt; (позиция "
    "{block_at}), а в блоках кода Telegram оформление не разрешает: вынесите тег наружу.",
    "problem_html_nested_tag": "&lt;{tag}&gt; в позиции {at} вложен в другой &lt;{tag}&gt; (позиция "
    "{outer_at}): "
    "сначала закройте тот — добавьте &lt;/{tag}&gt;.",
    "problem_html_span_class": 'У &lt;span&gt; в позиции {at} должен быть class="tg-spoiler": других '
    "&lt;span&gt; Telegram не поддерживает.",
    "problem_html_emoji_id": "У &lt;tg-emoji&gt; в позиции {at} должен быть числовой emoji-id, например "
    'emoji-id="5368324170671202".',
    "problem_html_link_no_href": "У ссылки &lt;a&gt; в позиции {at} нет href: напишите "
    '&lt;a href="https://example.com"&gt;.',
    "problem_html_link_empty_href": "У ссылки &lt;a&gt; в позиции {at} пустой href: впишите адрес в "
    'href="…".',
    "problem_html_link_has_space": "В ссылке &lt;a&gt; в позиции {at} есть пробел: уберите его или замените "
    "на %20.",
    "problem_html_link_too_long": "Ссылка &lt;a&gt; в позиции {at} длиннее {limit} символов (сейчас "
    "{length}).",
    "problem_html_link_invalid": "Ссылка &lt;a&gt; в позиции {at} не похожа на адрес.",
    "problem_html_link_wrong_scheme": "Ссылка &lt;a&gt; в позиции {at} должна начинаться с http://, "
    "https://, "
    "tg:// или mailto: (сейчас «{got}»).",
    "problem_html_link_no_host": "В ссылке &lt;a&gt; в позиции {at} нет адреса сайта. Пример: "
    "{scheme}://example.com/page.",
    "problem_html_link_incomplete": "Ссылка &lt;a&gt; в позиции {at} обрывается на {url}: допишите адрес.",
    "problem_buttons_not_list": 'Кнопки должны быть списком вида {{"text": …, "url": …}}.',
    "problem_buttons_too_many": "Кнопок слишком много: можно не больше {limit}, а сейчас {count}. "
    "Уберите лишние ({excess}).",
    "problem_button_not_object": 'Кнопка {button}: нужен объект вида {{"text": …, "url": …}}.',
    "problem_button_text_empty": "Кнопка {button}: нет надписи — напишите её.",
    "problem_button_text_too_long": "Кнопка {button}: надпись длиннее {limit} символов (сейчас {length}).",
    "problem_button_placeholder_unknown": "Кнопка {button}: в ссылке неизвестная подстановка «{names}»: "
    "можно {known}.",
    "problem_button_link_missing": "Кнопка {button}: нет ссылки — добавьте ссылку http://, https:// или "
    "tg://.",
    "problem_button_link_has_space": "Кнопка {button}: в ссылке есть пробел — уберите его или замените на "
    "%20.",
    "problem_button_link_too_long": "Кнопка {button}: ссылка длиннее {limit} символов (сейчас {length}).",
    "problem_button_link_invalid": "Кнопка {button}: ссылка не похожа на адрес.",
    "problem_button_link_wrong_scheme": "Кнопка {button}: ссылка должна начинаться с http://, https:// или "
    "tg:// "
    "(сейчас «{got}»).",
    "problem_button_link_no_host": "Кнопка {button}: в ссылке нет адреса сайта. Пример: "
    "{scheme}://example.com/page.",
    "problem_button_link_incomplete": "Кнопка {button}: ссылка обрывается на {url} — допишите адрес.",
    "problem_media_not_object": 'Вложение должно быть объектом вида {{"type": …, "file_id": …}}.',
    "problem_media_type_unsupported": "Такой тип вложения не поддерживается: пришлите фото, GIF, видео, "
    "документ, аудио или голосовое сообщение.",
    "problem_media_file_missing": "Нет файла вложения: пришлите файл боту или дайте ссылку http(s) на него.",
    "problem_media_file_id_invalid": "Это не file_id Telegram: пришлите файл боту ещё раз.",
    "problem_media_link_has_space": "В ссылке на вложение есть пробел: уберите его или замените на %20.",
    "problem_media_link_too_long": "Ссылка на вложение длиннее {limit} символов (сейчас {length}).",
    "problem_media_link_invalid": "Ссылка на вложение не похожа на адрес.",
    "problem_media_link_wrong_scheme": "Ссылка на вложение должна начинаться с http:// или https:// "
    "(сейчас «{got}»).",
    "problem_media_link_no_host": "В ссылке на вложение нет адреса сайта. Пример: "
    "{scheme}://example.com/page.",
    "problem_send_at_not_time": "Время отправки должно быть датой и временем, например "
    "2025-05-01T09:00:00+03:00.",
    "problem_send_at_no_timezone": "У времени отправки нет часового пояса: добавьте смещение от UTC, "
    "например "
    "2025-05-01T09:00:00+03:00.",
    "problem_send_at_not_future": "Время отправки {send_at} уже прошло (сейчас {now}): выберите время позже.",
    # Отказы API (код ошибки и её details)
    "problem_validation_error": "Некоторые поля заполнены неверно.",
    "problem_bad_request": "Запрос не удалось разобрать.",
    "problem_not_found": "Такой записи уже нет — возможно, её удалили.",
    "problem_conflict": "Данные тем временем изменились. Обновите их и попробуйте ещё раз.",
    "problem_wrong_status": "Сейчас это сделать нельзя: рассылка {status}.",
    "problem_approval_by_author": "Вы автор этой рассылки: одобрить её должен другой администратор "
    "или модератор.",
    "problem_approval_not_required": "Этой рассылке одобрение не нужно: её аудитория достаточно мала.",
    "problem_approval_required": "Перед отправкой эту рассылку должен одобрить другой администратор "
    "или модератор.",
    "problem_version_conflict": "Рассылку тем временем изменил кто-то другой: откройте её заново и повторите "
    "правку.",
    "problem_last_admin": "Это последний администратор: сначала назначьте другого.",
    "problem_deliveries_pruned": "Эта рассылка закончилась давно: список получателей уже удалён, остались "
    "только итоговые цифры, поэтому отправить её снова нельзя.",
    "problem_telegram_error": "Telegram отклонил рассылку. Ответ Telegram: «{description}»",
    "problem_telegram_unavailable": "Telegram сейчас недоступен. Попробуйте через несколько секунд.",
    "problem_unauthorized": "Сервис не принял данные для входа.",
    "problem_forbidden": "У вас нет прав на это действие.",
    "problem_invalid_key": "Ключ не подходит.",
    "problem_method_not_allowed": "Сервис не поддерживает такой запрос.",
    "problem_idempotency_key_reused": "По этому сохранению уже создана рассылка {mailing_id}, но с другим "
    "содержимым.",
    "problem_payload_too_large": "Запрос слишком большой: сервис его не принял.",
    "problem_unsupported_media_type": "Сервис не принимает запрос в таком формате.",
    "problem_rate_limited": "Слишком много попыток. Попробуйте позже.",
    "problem_internal_error": "В сервисе что-то пошло не так. Попробуйте ещё раз.",
    "problem_unavailable": "Сервис сейчас недоступен. Попробуйте чуть позже.",
    # Пригласительные ссылки
    "btn_invite_links": "🔗 Пригласительные ссылки",
    "invite_links_title": "<b>Пригласительные ссылки</b> ({count})",
    "invite_links_none": "<b>Пригласительные ссылки</b>\nПока нет ни одной. Ссылка считает, кто подписался "
    "по ней: создайте её кнопкой «➕ Новая ссылка».",
    "invite_link_line": "<b>{name}</b>\n{url}\nпривела {brought}, активны {active}",
    "invite_links_more": "…и ещё {count}",
    "btn_new_link": "➕ Новая ссылка",
    "ask_link_name": "Пришлите название новой ссылки (его видят только сотрудники), например «Весенняя "
    "листовка». /cancel — отмена.",
    "link_name_blank": "Название не может быть пустым: напишите пару слов о том, где будет ссылка.",
    "link_refused": "Ссылка не создана:\n{errors}\nПришлите другое название или /cancel.",
    "link_created": "✅ Ссылка создана: <b>{name}</b>\n{url}\nРаспространяйте её: все, кто подпишется "
    "по ней, учитываются в /adminmenu → Пригласительные ссылки.",
    # Метки пользователей из CSV
    "btn_tag_users": "🏷 Метки из CSV",
    "ask_tags_csv": "Пришлите CSV-файл со строками <code>tg_id,tag</code> (например, "
    "<code>123456789,vip</code>): каждый пользователь получит метку. Первая строка <code>tg_id,tag</code> "
    "пропускается. /cancel — отмена.",
    "tags_csv_not_file": "Пришлите CSV файлом (или /cancel).",
    "tags_csv_too_big": "Файл слишком большой: не больше {limit} КБ. Разделите его и пришлите по частям.",
    "tags_csv_not_text": "Это не текст в UTF-8: сохраните файл как CSV (UTF-8) и пришлите снова.",
    "tags_csv_bad_line": "Строка {line}: {problem}\nИсправьте файл и пришлите снова или /cancel.",
    "csv_problem_columns": "нужно два значения, tg_id,tag; здесь {count}.",
    "csv_problem_tg_id": "«{value}» — не Telegram id (нужны цифры).",
    "csv_problem_tag": "«{value}» — не метка: 1–64 буквы, цифры, _ - : или . (без пробелов).",
    "tags_csv_empty": "В файле нет строк tg_id,tag. Пришлите другой или /cancel.",
    "tags_csv_too_many": "В файле строк: {count}; за раз можно не больше {limit}.",
    "tags_csv_done": "✅ Готово: прочитано строк — {lines}, изменено меток — {changed}.",
    "tags_csv_missing": "Неизвестные id (не писали боту), пропущены: {ids}",
    "tags_csv_missing_more": " …и ещё {count}",
    # Аудитория рассылки
    "btn_audience": "👥 Аудитория",
    "audience_all": "все подписчики",
    "audience_everyone": "все ({total})",
    "audience_some": "{count} из {total} — {who}",
    "audience_line": "Аудитория: {audience}",
    "audience_choice": "<b>Аудитория</b>: {audience}\n\nКому отправить рассылку: всем подписчикам или части "
    "из них — по меткам и языку?",
    "btn_audience_everyone": "👥 Всем",
    "btn_audience_pick": "🎯 Выбрать по меткам и языку",
    "ask_segment": "Пришлите, кому отправить, например: <code>метки: vip, clients; язык: ru</code>\n"
    "<code>метки:</code> — подписчики с любой из этих меток; <code>язык:</code> — язык их Telegram "
    "(<code>ru</code>, <code>en</code>…). Можно одно или оба; <code>tags:</code> и <code>language:</code> "
    "тоже подходят.",
    "audience_set_everyone": "Рассылка уйдёт всем",
    # Проверка рассылки на выборке и причина паузы
    "btn_canary": "🐤 Проверка на выборке",
    "btn_canary_off": "🚫 Без проверки",
    "canary_none": "нет",
    "canary_size_percent": "{percent}% аудитории",
    "canary_size_count": "{count} чел.",
    "canary_about": "сначала {size}, остальным — через {wait} мин, если не доставлено не больше {share}%",
    "canary_line": "Проверка на выборке: {canary}",
    "ask_canary": "<b>Проверка на выборке</b>: {canary}\n\nСначала рассылка уйдёт случайной выборке, а после "
    "паузы — остальным, если только слишком многим из выборки она не дошла (ошибка, бот заблокирован "
    "или исход неизвестен): тогда рассылка встанет на паузу и решать вам.\n\nПришлите размер выборки, "
    "паузу в минутах и допустимую долю недоставленных, например <code>5% 30 20%</code> или <code>200</code> "
    "(если не указано — 10 минут и 20%).",
    "canary_set_off": "Рассылка уйдёт всем сразу",
    "canary_blank": "Здесь нечего прочитать: напишите, например, <code>5% 30 20%</code>.",
    "canary_too_many": "Это больше, чем я понимаю: размер выборки, пауза в минутах и допустимая доля, "
    "например <code>5% 30 20%</code>.",
    "canary_bad_percent": "«{word}» — не размер выборки: доля больше 0 и не больше 50%, например 5%.",
    "canary_bad_count": "«{word}» — не размер выборки: число людей от 1 до 10 000 000 или доля, например 5%.",
    "canary_bad_wait": "«{word}» — не пауза: от 0 до 1440 минут.",
    "canary_bad_share": "«{word}» — не допустимая доля: процент от 0% до 100%, например 20%.",
    "canary_sample_sending": "Проверка на выборке: выборке идёт отправка",
    "canary_waiting": "Проверка на выборке: остальным — в {at}, если выборка прошла",
    "pause_line": "Пауза: {reason}",
    "pause_by_staff": "поставлена вручную",
    "pause_by_canary": "проверка на выборке не прошла, не доставлено {wrong} из {sends} ({share}%)",
    "pause_by_failures": "рассылка приостановилась сама, не удались {failed} из последних {sends} "
    "отправок ({share}%)",
    "pause_most_common": "; чаще всего: {error} ({count})",
    "segment_no_colon": "В «{clause}» нет двоеточия: напишите <code>метки: vip</code> или "
    "<code>язык: ru</code>.",
    "segment_unknown_key": "Я понимаю только <code>метки:</code> и <code>язык:</code>, а не «{name}».",
    "segment_no_values": "После «{name}:» ничего нет.",
    "segment_bad_tag": "«{tag}» — не метка: 1–64 буквы, цифры, _ - : или . (без пробелов).",
    "segment_bad_language": "«{language}» — не код языка: 2–3 буквы, например ru или en.",
    "segment_blank": "Тут нечего читать: напишите, например, <code>метки: vip; язык: ru</code>.",
    "seg_languages": "язык {values}",
    "seg_tags_any": "метка {values}",
    "seg_tags_all": "метки {values}",
    "seg_tags_none": "без меток {values}",
    "seg_roles": "роль {values}",
    "seg_sources": "пришли по ссылке {values}",
    "seg_subscribed_after": "подписались с {moment}",
    "seg_subscribed_before": "подписались до {moment}",
    "seg_or": " или ",
    "seg_and": " и ",
    "seg_comma": ", ",
    # Повторяющиеся рассылки (telebot_app/handlers/series.py)
    "btn_repeat": "🔁 Повтор",
    "btn_repeat_daily": "Каждый день",
    "btn_repeat_weekdays": "По дням недели…",
    "btn_repeat_monthly": "Каждый месяц…",
    "btn_repeat_off": "Не повторять",
    "btn_repeat_forever": "Пока не остановлю",
    "btn_repeat_until": "До даты…",
    "btn_repeat_count": "Сколько раз…",
    "repeat_choice": "<b>Повтор</b>\nСейчас: {repeat}\n\nПервая рассылка уйдёт во время отправки "
    "({send_at}), каждая следующая — в то же время суток по поясу {zone}, в том числе после перевода "
    "часов.",
    "repeat_none": "без повтора",
    "repeat_needs_time": "Сначала задайте время отправки (не «сейчас»): первая рассылка уйдёт тогда, "
    "следующие — в то же время суток.",
    "repeat_pick_weekdays": "По каким дням? Отметьте их и нажмите «✔ Готово».",
    "repeat_pick_a_day": "Отметьте хотя бы один день.",
    "repeat_pick_day": "Какого числа? Если в месяце нет такого числа (например, 31-го), рассылка уйдёт "
    "в последний день месяца.",
    "repeat_end_choice": "<b>Повтор:</b> {repeat}\nДо каких пор?",
    "ask_repeat_until": "Пришлите последнюю дату, когда рассылка может уйти, в виде "
    "<code>ДД.ММ.ГГГГ</code> (этот день включительно).",
    "ask_repeat_count": "Пришлите, сколько всего раз её отправить: от 1 до {limit}.",
    "repeat_until_unreadable": "Это не дата: напишите её в виде <code>ДД.ММ.ГГГГ</code>, например {example}.",
    "repeat_count_unreadable": "Пришлите целое число от 1 до {limit}.",
    "repeat_set": "Повтор задан.",
    "repeat_off": "Рассылка не будет повторяться.",
    "repeat_no_time": "нужно время отправки (не «сейчас»): тогда уйдёт первая рассылка",
    "menu_repeat_line": "🔁 Повтор: {repeat}",
    "rep_daily": "каждый день в {time}",
    "rep_weekdays": "по дням: {days}, в {time}",
    "rep_monthly": "каждый месяц, {day}-го числа в {time}",
    "rep_until": ", до {date} включительно",
    "rep_count": ", число отправок: {count}",
    "rep_forever": ", пока не остановите",
    "wd_0": "пн",
    "wd_1": "вт",
    "wd_2": "ср",
    "wd_3": "чт",
    "wd_4": "пт",
    "wd_5": "сб",
    "wd_6": "вс",
    "series_saved": "🔁 Повторяющаяся рассылка «{name}» (серия №{series_id}) сохранена: {repeat}.\n"
    "Следующая отправка: {next_run}. Каждая отправка — отдельная рассылка; за сутки до времени она "
    "появляется в /adminmenu → «Запланированные рассылки».",
    "btn_series": "🔁 Повторяющиеся",
    "series_list_title": "<b>Повторяющиеся рассылки</b> ({total})",
    "series_line": "№{series_id} <b>{name}</b> — {repeat}\n{status}; следующая отправка: {next_run}",
    "series_empty": "Повторяющихся рассылок нет. Создайте рассылку командой /newmailing и нажмите "
    "«🔁 Повтор».",
    "sstatus_active": "идёт",
    "sstatus_paused": "на паузе",
    "sstatus_finished": "все отправки созданы",
    "sstatus_ended": "остановлена",
    "btn_series_pause": "⏸ №{series_id}",
    "btn_series_resume": "▶️ №{series_id}",
    "btn_series_end": "⏹ №{series_id}",
    "btn_yes_end": "Да, остановить",
    "series_end_confirm": "Остановить повторяющуюся рассылку №{series_id} совсем? Ещё не начатые "
    "отправки будут удалены, уже отправленные останутся.",
    "series_paused": "На паузе: новых отправок не будет, пока не продолжите.",
    "series_resumed": "Продолжена со следующего времени.",
    "series_ended": "Остановлена.",
    "series_gone": "Этой повторяющейся рассылки больше нет.",
    "series_changed": "Её уже кто-то изменил: вот она в нынешнем виде.",
    "series_saved_before": "Этот черновик уже был сохранён до вашей последней правки — как повторяющаяся "
    "рассылка №{series_id} (/adminmenu → «🔁 Повторяющиеся»). Если сохранить его снова, появится ещё одна.",
    "series_run_line": "🔁 Отправка повторяющейся рассылки №{series_id}",
    "problem_rule_kind_unknown": "Повтор бывает каждый день (daily), по дням недели (weekdays) или "
    "каждый месяц (monthly), а не «{got}».",
    "problem_rule_time_invalid": "Время пишется как ЧЧ:ММ в 24-часовом формате, например 09:30 "
    "(сейчас «{got}»).",
    "problem_rule_weekdays_missing": "Выберите хотя бы один день недели.",
    "problem_rule_weekday_invalid": "Дни недели — числа от 0 (понедельник) до 6 (воскресенье); {got} "
    "к ним не относится.",
    "problem_rule_weekdays_unexpected": "Дни недели задаются только для повтора по дням недели.",
    "problem_rule_day_missing": "Для ежемесячного повтора нужно число месяца, от 1 до 31.",
    "problem_rule_day_invalid": "Число месяца — от 1 до 31; {got} не подходит.",
    "problem_rule_day_unexpected": "Число месяца задаётся только для ежемесячного повтора.",
    "problem_rule_count_invalid": "Число отправок — от 1 до {limit}; {got} не подходит.",
    "problem_rule_until_past": "Последний день {until} уже прошёл: сегодня {today}.",
    "problem_rule_never_runs": "Такой повтор ни разу не сработает: первое время наступило бы после "
    "последнего дня, {until}.",
    "problem_series_wrong_status": "Сейчас с этой повторяющейся рассылкой так сделать нельзя: её уже "
    "изменили.",
}
