"""The Slack adapter: Slack payloads in, the core's values out, and back again as Block Kit."""
