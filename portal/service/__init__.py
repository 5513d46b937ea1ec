"""The portal's services: sign-in (codes, sessions, step-up), relatives' access, and the citizen's self-service."""
