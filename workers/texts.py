"""What the engine says to people (progress and reports), in English and Russian."""

from __future__ import annotations

TEXTS = {
    "en": {
        "scheduled": "⏳ Scheduled",
        "sending": "▶️ Sending",
        "paused": "⏸ Paused",
        "finished": "✅ Finished",
        "cancelled": "⏹ Cancelled",
        "counts": "Sent {sent} · blocked {blocked} · failed {failed} · unknown {unknown} · "
        "cancelled {cancelled} · left {left}",
        "speed": "Rate {rate:.1f}/s · elapsed {elapsed} · ETA {eta}",
        "pause": "⏸ Pause",
        "resume": "▶️ Resume",
        "cancel": "⏹ Cancel",
        "paused_canary": "🐤 <b>Canary failed: {name}</b> (id {mailing_id})\n"
        "{failures} of its sample's {sends} sends did not arrive ({share:.0%}, above the {limit:.0%} "
        "allowed): failed {failed}, blocked {blocked}, unknown {unknown}.\nThe mailing is paused; the rest "
        "of the audience has not got it. ▶️ Resume sends it to them, ⏹ Cancel stops the mailing.",
        "paused_auto": "⚠️ <b>Mailing paused itself: {name}</b> (id {mailing_id})\n"
        "{failed} of its last {sends} sends failed ({share:.0%}, above the {limit:.0%} allowed), so nobody "
        "else gets it for now. Fix the cause, then ▶️ Resume; or ⏹ Cancel.",
        "pause_error": "• {error} — {count}",
        "why_canary": "🐤 The canary failed: {wrong} of its sample's {sends} sends did not arrive",
        "why_auto_pause": "⚠️ Paused itself: {failed} of its last {sends} sends failed",
        "report_title": "📬 <b>Mailing finished: {name}</b>",
        "recipients": "Recipients: {n}",
        "sent": "Sent: {n}",
        "blocked": "Blocked: {n}",
        "failed": "Failed: {n}",
        "unknown": "Unknown: {n}",
        "cancelled_n": "Cancelled: {n}",
        "duration": "Duration: {d}",
        "average": "Average rate: {rate:.1f} msg/s",
        "reasons": "Most common reasons:",
        "clicks": "Button clicks (recipients who clicked, and their share of those reached):",
        "click_line": "• {text} — {n} ({rate:.1f}%)",
        "csv_caption": "Recipients not reached, with the reason",
        "csv_too_large": "📎 The list of the {rows} recipients not reached ({mb:.1f} MB) is over Telegram's "
        "{limit} MB limit for files, so it is not attached. Get it from the API: <code>GET {path}</code>",
        "approval_ask": "🔐 <b>Approval needed: {name}</b> (id {mailing_id})\nSend time: {send_at}\n"
        "Recipients: {audience}\nAuthor: {author}\n\nIt will not start until an admin or moderator other "
        "than its author approves it. See it first with 👁 Preview.",
        "approval_due": "⏰ <b>Waiting for approval: {name}</b> (id {mailing_id})\nIts send time has come "
        "({send_at}), but it will not start until an admin or moderator other than its author approves it.\n"
        "Recipients: {audience}\nAuthor: {author}",
        "approval_due_author": "⏰ <b>Your mailing waits for approval: {name}</b> (id {mailing_id})\n"
        "Its send time has come ({send_at}); it starts as soon as another admin or moderator approves it. "
        "They have been reminded.\nRecipients: {audience}",
        "approval_due_alone": "⏰ <b>Your mailing waits for approval: {name}</b> (id {mailing_id})\n"
        "Its send time has come ({send_at}), but there is no other admin or moderator to approve it: "
        "make someone a moderator (/adminmenu → 👤 Change a user's role).\nRecipients: {audience}",
        "approve": "✅ Approve",
        "preview": "👁 Preview",
    },
    "ru": {
        "scheduled": "⏳ Запланирована",
        "sending": "▶️ Идёт рассылка",
        "paused": "⏸ На паузе",
        "finished": "✅ Завершена",
        "cancelled": "⏹ Отменена",
        "counts": "Доставлено: {sent} · заблокировали: {blocked} · ошибки: {failed} · "
        "исход неизвестен: {unknown} · отменено: {cancelled} · осталось: {left}",
        "speed": "Скорость {rate:.1f}/с · прошло {elapsed} · осталось примерно {eta}",
        "pause": "⏸ Пауза",
        "resume": "▶️ Продолжить",
        "cancel": "⏹ Отменить",
        "paused_canary": "🐤 <b>Пробная отправка не удалась: {name}</b> (id {mailing_id})\n"
        "Из {sends} отправок выборки не дошли {failures} ({share:.0%}, допустимо не больше {limit:.0%}): "
        "ошибки — {failed}, заблокировали бота — {blocked}, исход неизвестен — {unknown}.\nРассылка на "
        "паузе, остальные получатели её не получили. «▶️ Продолжить» отправит её им, «⏹ Отменить» "
        "остановит рассылку.",
        "paused_auto": "⚠️ <b>Рассылка приостановилась сама: {name}</b> (id {mailing_id})\n"
        "Из последних {sends} отправок не удались {failed} ({share:.0%}, допустимо не больше {limit:.0%}), "
        "поэтому пока её больше никто не получит. Устраните причину и нажмите «▶️ Продолжить» или "
        "«⏹ Отменить».",
        "pause_error": "• {error} — {count}",
        "why_canary": "🐤 Проверка на выборке не прошла: из {sends} отправок выборки не дошли {wrong}",
        "why_auto_pause": "⚠️ Рассылка приостановилась сама: из последних {sends} отправок "
        "не удались {failed}",
        "report_title": "📬 <b>Рассылка завершена: {name}</b>",
        "recipients": "Получателей: {n}",
        "sent": "Доставлено: {n}",
        "blocked": "Заблокировали бота: {n}",
        "failed": "Ошибки: {n}",
        "unknown": "Исход неизвестен: {n}",
        "cancelled_n": "Отменено: {n}",
        "duration": "Длительность: {d}",
        "average": "Средняя скорость: {rate:.1f} сообщ./с",
        "reasons": "Самые частые причины:",
        "clicks": "Нажатия на кнопки (сколько получателей нажали и их доля от доставленных):",
        "click_line": "• {text} — {n} ({rate:.1f}\u00a0%)",
        "csv_caption": "Кому не доставлено и почему",
        "csv_too_large": "📎 Список недоставленных (строк: {rows}, {mb:.1f} МБ) превышает лимит Telegram "
        "на файлы ({limit} МБ), поэтому не приложен. Его можно получить через API: <code>GET {path}</code>",
        "approval_ask": "🔐 <b>Нужно одобрение: {name}</b> (id {mailing_id})\nВремя отправки: {send_at}\n"
        "Получателей: {audience}\nАвтор: {author}\n\nРассылка не начнётся, пока её не одобрит администратор "
        "или модератор, который не является её автором. Посмотреть её можно кнопкой «👁 Предпросмотр».",
        "approval_due": "⏰ <b>Ждёт одобрения: {name}</b> (id {mailing_id})\nВремя отправки наступило "
        "({send_at}), но рассылка не начнётся, пока её не одобрит администратор или модератор, который не "
        "является её автором.\nПолучателей: {audience}\nАвтор: {author}",
        "approval_due_author": "⏰ <b>Ваша рассылка ждёт одобрения: {name}</b> (id {mailing_id})\n"
        "Время отправки наступило ({send_at}); она начнётся, как только её одобрит другой администратор "
        "или модератор. Им отправлено напоминание.\nПолучателей: {audience}",
        "approval_due_alone": "⏰ <b>Ваша рассылка ждёт одобрения: {name}</b> (id {mailing_id})\n"
        "Время отправки наступило ({send_at}), но одобрить её некому: других администраторов и "
        "модераторов нет. Назначьте кого-нибудь модератором (/adminmenu → «👤 Изменить роль "
        "пользователя»).\nПолучателей: {audience}",
        "approve": "✅ Одобрить",
        "preview": "👁 Предпросмотр",
    },
}


class _DecimalComma:
    """A number that prints with a decimal comma, as Russian writes it ("1,5/с")."""

    def __init__(self, value: int | float):
        self.value = value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec).replace(".", ",")


def _decimal_comma(value: object) -> object:
    return _DecimalComma(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def t(language: str, key: str, **values) -> str:
    """One text in `language`, formatted; in Russian, numbers print with a decimal comma."""
    if language == "ru":
        values = {name: _decimal_comma(value) for name, value in values.items()}
    return TEXTS.get(language, TEXTS["en"])[key].format(**values)
