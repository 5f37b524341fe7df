"""Bolt's listeners for Slack; adapters/slack/app.py registers them on one Bolt app."""
