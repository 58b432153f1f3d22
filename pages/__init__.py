"""NiceGUI pages. `register()` declares every route; main.py calls it on each start."""

from pages import (
    admin_displays,
    admin_users,
    attachments,
    dashboard,
    kiosk,
    live,
    login,
    profile,
    remote,
    sockets,
    theme,
    ticket,
    ticket_new,
)


def register() -> None:
    live.install()
    sockets.install()
    theme.register()
    login.register()
    dashboard.register()
    ticket_new.register()  # before /tickets/{id}, so "new" is not taken for an id
    ticket.register()
    admin_users.register()
    admin_displays.register()
    profile.register()
    attachments.register()
    kiosk.register()
    remote.register()
