"""The Slack bot: answers mentions, direct messages and ``/modelpilot`` with Block Kit.

``build_app`` makes the Bolt app; ``ui.slack.server`` runs it over Socket Mode or HTTP;
``post_alert`` sends an alert to the configured channel.
"""
