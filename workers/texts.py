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
        "csv_caption": "Recipients not reached, with the reason",
        "csv_too_large": "📎 The list of the {rows} recipients not reached ({mb:.1f} MB) is over Telegram's "
        "{limit} MB limit for files, so it is not attached. Get it from the API: <code>GET {path}</code>",
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
        "csv_caption": "Кому не доставлено и почему",
        "csv_too_large": "📎 Список недоставленных (строк: {rows}, {mb:.1f} МБ) превышает лимит Telegram "
        "на файлы ({limit} МБ), поэтому не приложен. Его можно получить через API: <code>GET {path}</code>",
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
