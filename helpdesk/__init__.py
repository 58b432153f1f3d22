"""The helpdesk core: settings, database, security and services. No NiceGUI page code."""
