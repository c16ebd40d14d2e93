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
    "help_moderator": "<b>Что можно сделать</b> (модератор)\n/newmailing — создать рассылку\n"
    "/adminmenu — запланированные рассылки: просмотр, правка, удаление, отправка сейчас, пауза, продолжение\n"
    "/cancel — выйти из текущего диалога\n/start, /stop — подписаться, отписаться\n/help — этот список",
    "help_admin": "<b>Что можно сделать</b> (администратор)\n/newmailing — создать рассылку\n"
    "/adminmenu — роли пользователей; запланированные рассылки: просмотр, правка, удаление, отправка сейчас, "
    "пауза, продолжение\n/cancel — выйти из текущего диалога\n/start, /stop — подписаться, отписаться\n"
    "/help — этот список",
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
    "browser_progress": "Ход отправки: {done} из {total}, {rate}/с, осталось около {eta}",
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
    "seconds": "{count} с",
    "mailing_gone": "Этой рассылки больше нет.",
    "btn_goto": "Перейти к №…",
    "btn_edit": "✏ Изменить",
    "btn_delete": "🗑 Удалить",
    "btn_send_now": "🚀 Отправить сейчас",
    "btn_pause": "⏸ Пауза",
    "btn_resume": "▶ Продолжить",
    "btn_stop": "⏹ Отменить отправку",
    "btn_refresh": "🔄 Обновить",
    "btn_yes_delete": "Да, удалить",
    "btn_yes_send": "Да, отправить",
    "btn_yes_stop": "Да, отменить отправку",
    # Управление отправкой
    "ctl_paused": "Отправка на паузе",
    "ctl_resumed": "Отправка продолжена",
    "ctl_cancelled": "Отправка отменена.",
    "ctl_started": "Отправка началась",
    "ctl_wrong_status": "Сейчас нельзя: рассылка {status}.",
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
    "&lt;blockquote&gt;, &lt;tg-spoiler&gt;.",
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
    "menu_summary": "<b>{title}</b>\nНазвание: <b>{name}</b>\nВремя отправки: {send_at}\nВложение: {media}\n"
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
    "btn_test": "📨 Тест себе",
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
    "ask_media": "Пришлите одно фото, GIF, видео, документ, аудио или голосовое. Оно заменит прежнее "
    "вложение.",
    "media_added": "Вложение: {kind}.",
    "media_replaced": "Вложение заменено, теперь это {kind}.",
    "media_removed": "Вложение убрано",
    "media_refused_text": "Это текст, а не файл. Пришлите фото, GIF, видео, документ, аудио или голосовое, "
    "или /cancel.",
    "media_refused_sticker": "Стикер нельзя отправить в рассылке. Пришлите фото, GIF, видео, документ, "
    "аудио или голосовое.",
    "media_refused_video_note": "Кружок нельзя отправить в рассылке. Пришлите его как обычное видео.",
    "media_refused_other": "Такое вложение ({kind}) в рассылку не добавить. Пришлите фото, GIF, видео, "
    "документ, аудио или голосовое.",
    "preview_intro": "👁 Предпросмотр — ровно так рассылку увидят подписчики:",
    "preview_sent": "Предпросмотр отправлен",
    "test_sent": "Тестовая копия отправлена вам.",
    "test_failed": "Telegram не принял эту рассылку:\n{errors}",
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
}
