"""The call timeline: a call's own history and every feature's records that name it."""
