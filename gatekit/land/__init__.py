"""Land: protected branches, verify-push, the land queue, integration, verification and the swap."""
