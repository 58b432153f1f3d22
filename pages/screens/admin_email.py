"""`/admin/email`: administrators see the outbox (queued, sent, failed, not needed), send a failed
email again, send a test email, and see the received mail the helpdesk did not take."""

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui

from helpdesk.core import mailer
from helpdesk.domain import intake, outbox
from models import InboundMail, MailStatus, OutboxMail
from pages.app.i18n import _, ngettext, when
from pages.app.tab import FAILED, Tab
from pages.app.theme import MUTED
from pages.screens.admin import admin_page, column

# Each cell carries its column's name, which a phone shows beside the value (static/app.css
# `.record-table`: a row per card); the outbox's last column holds "send again" for a failed email.
_ROW = """
<q-tr :props="props">
  <q-td v-for="col in props.cols" :key="col.name" :props="props" :data-label="col.label"
        :class="['cell-' + col.name, col.value === '' ? 'cell-empty' : '']">
    <q-btn v-if="col.name === 'actions' && props.row.failed" flat dense icon="replay" :title="props.row.retry_action"
           :aria-label="props.row.retry_action" @click.stop="$parent.$emit('retry', props.row)"/>
    <template v-else-if="col.name !== 'actions'">{{ col.value }}</template>
  </q-td>
</q-tr>
"""
REFRESH_SECONDS = 5.0


def _record_table(columns: list[dict], marker: str, empty: str) -> ui.table:
    table = ui.table(columns=columns, rows=[], row_key="id").props(f'flat bordered no-data-label="{empty}"')
    table.classes("w-full record-table").mark(marker)
    table.add_slot("body", _ROW)
    return table


def status_label(status: MailStatus) -> str:
    return {
        MailStatus.queued: _("Queued"),
        MailStatus.sending: _("Sending"),
        MailStatus.sent: _("Sent"),
        MailStatus.failed: _("Failed"),
        MailStatus.skipped: _("Not needed"),
    }[MailStatus(status)]


def _servers() -> list[str]:
    smtp = mailer.server()
    imap = intake.mailbox()
    return [
        _("Sending through {server} as {address}.", server=smtp.describe(), address=mailer.from_address())
        if smtp
        else _("No mail server is set (HELPDESK_SMTP_URL): no email is sent."),
        _("Reading {mailbox}.", mailbox=imap.describe())
        if imap
        else _("No mailbox is read (HELPDESK_IMAP_URL): emails to the helpdesk open no tickets."),
    ]


class EmailScreen:
    def __init__(self, page: Tab) -> None:
        self.page = page
        self.status: MailStatus | None = None
        ui.label(_("Email")).classes("text-2xl font-bold")
        for line in _servers():
            ui.label(line).classes(MUTED)
        with ui.card().classes("w-full max-w-xl gap-2"):
            ui.label(_("Send a test email")).classes("text-lg font-bold")
            with ui.row().classes("w-full items-center gap-2 no-wrap max-sm:flex-wrap"):
                self.address = (
                    ui.input(_("To"), value=page.user.email)
                    .props("type=email autocomplete=email outlined dense")
                    .classes("grow")
                    .mark("test-address")
                )
                ui.button(_("Send"), icon="send", on_click=self.send_test).mark("send-test")
        ui.label(_("Outbox")).classes("text-xl font-bold mt-4")
        self.pending = ui.label().classes(MUTED).mark("pending")
        self.filter = (
            ui.toggle({"all": _("All")}, value="all", on_change=self.refresh)
            .props("no-caps dense")
            .mark("outbox-filter")
        )
        columns = [
            column("created", _("Created")),
            column("to", _("To")),
            column("subject", _("Subject")),
            column("state", _("State")),
            column("attempts", _("Tries")),
            column("error", _("Last error")),
            column("sent", _("Sent")),
        ]
        columns.append({"name": "actions", "label": "", "field": "id"})
        self.table = _record_table(columns, "outbox", _("No email yet."))
        self.table.on("retry", lambda e: self.retry(e.args))
        ui.label(_("Received mail not taken")).classes("text-xl font-bold mt-4")
        ui.label(_("Mail from unknown senders, too large or with a refused file: the sender was told why.")).classes(
            MUTED
        )
        columns = [
            column("received", _("Received")),
            column("sender", _("From")),
            column("subject", _("Subject")),
            column("reason", _("Reason")),
        ]
        self.refused = _record_table(columns, "refused-mail", _("Nothing refused."))
        ui.timer(REFRESH_SECONDS, self.refresh)

    async def refresh(self) -> None:
        status = None if self.filter.value in (None, "all") else MailStatus(self.filter.value)
        result = await self.page.call(outbox.listing, status)
        if result is FAILED:
            return
        total = sum(result.counts.values())
        options = {"all": _("All ({count})", count=total)}
        for choice in (MailStatus.queued, MailStatus.sent, MailStatus.failed, MailStatus.skipped):
            options[choice.value] = f"{status_label(choice)} ({result.counts.get(choice, 0)})"
        self.filter.set_options(options, value=self.filter.value)
        self.table.rows = [self.row(mail) for mail in result.mails]
        self.pending.text = ngettext(
            "{count} change waits out its delay before it is mailed.",
            "{count} changes wait out their delay before they are mailed.",
            result.pending,
        )
        refused = await self.page.call(intake.refused)
        if refused is not FAILED:
            self.refused.rows = [self.refused_row(mail) for mail in refused]

    @staticmethod
    def row(mail: OutboxMail) -> dict:
        return {
            "id": mail.id,
            "created": when(mail.created_at),
            "to": mail.to_address,
            "subject": mail.subject or "—",
            "state": status_label(mail.status),
            "attempts": mail.attempts,
            "error": mail.last_error or "",
            "sent": when(mail.sent_at) if mail.sent_at else "",
            "failed": mail.status == MailStatus.failed,
            "retry_action": _("Send again"),
        }

    @staticmethod
    def refused_row(mail: InboundMail) -> dict:
        return {
            "id": mail.id,
            "received": when(mail.received_at),
            "sender": mail.sender,
            "subject": mail.subject,
            "reason": mail.reason or "",
        }

    async def send_test(self) -> None:
        if await self.page.call(outbox.send_test, self.address.value or "") is FAILED:
            return
        ui.notify(_("The test email is in the outbox; it goes out in a few seconds."), type="positive")
        await self.refresh()

    async def retry(self, row: dict) -> None:
        if await self.page.call(outbox.retry, int(row["id"])) is FAILED:
            return
        ui.notify(_("The email will be sent again."))
        await self.refresh()


async def email_page(request: Request) -> RedirectResponse | None:
    return await admin_page(request, _("Email"), EmailScreen)
