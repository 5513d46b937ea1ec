"""Dispatch services. Other features use dispatch only through what this package exports."""
