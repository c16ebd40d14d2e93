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
    "help_moderator": "<b>What you can do</b> (moderator)\n/newmailing — compose a mailing\n"
    "/adminmenu — scheduled mailings: view, edit, delete, send now, pause, resume\n"
    "/cancel — leave the current dialog\n/start, /stop — subscribe, unsubscribe\n/help — this list",
    "help_admin": "<b>What you can do</b> (admin)\n/newmailing — compose a mailing\n"
    "/adminmenu — change users' roles; scheduled mailings: view, edit, delete, send now, pause, resume\n"
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
    "seconds": "{count} s",
    "mailing_gone": "This mailing no longer exists.",
    "btn_goto": "Go to #…",
    "btn_edit": "✏ Edit",
    "btn_delete": "🗑 Delete",
    "btn_send_now": "🚀 Send now",
    "btn_pause": "⏸ Pause",
    "btn_resume": "▶ Resume",
    "btn_stop": "⏹ Cancel sending",
    "btn_refresh": "🔄 Refresh",
    "btn_yes_delete": "Yes, delete",
    "btn_yes_send": "Yes, send now",
    "btn_yes_stop": "Yes, cancel sending",
    # Mailing control
    "ctl_paused": "Paused",
    "ctl_resumed": "Resumed",
    "ctl_cancelled": "Sending is cancelled.",
    "ctl_started": "Sending has started",
    "ctl_wrong_status": "Not possible now: the mailing is {status}.",
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
    "&lt;blockquote&gt;, &lt;tg-spoiler&gt;.",
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
    "menu_summary": "<b>{title}</b>\nName: <b>{name}</b>\nSend time: {send_at}\nMedia: {media}\n"
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
    "btn_test": "📨 Send me a test",
    "btn_save": "💾 Save",
    "btn_exit": "✖ Exit",
    "btn_done": "✔ Done",
    "btn_yes_save": "Yes, save",
    "btn_yes_discard": "Yes, discard",
    "btn_overwrite": "Save my version over theirs",
    "btn_reload": "Drop my changes, load theirs",
    "btn_save_as_new": "Save as a new mailing",
    "ask_button_text": "Send the label of button {number}.",
    "ask_button_url": "Send the link for «{text}» (http://, https:// or tg://).",
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
    "media_refused_other": "A {kind} cannot be attached to a mailing. Send a photo, GIF, video, document, "
    "audio or voice message.",
    "preview_intro": "👁 Preview — exactly as subscribers will see it:",
    "preview_sent": "Preview sent",
    "test_sent": "A test copy has been sent to you.",
    "test_failed": "Telegram did not accept this mailing:\n{errors}",
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
}
