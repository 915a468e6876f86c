"""The resident server: a warm interpreter that runs hooks and commands without a cold start.

A git hook pays for starting Python and importing gatekit on every commit; the imports alone cost
more than the guards' work (issue 13). The first run starts a server in the background that has
imported everything once; later runs connect to it, hand over their arguments, environment,
working directory and standard streams, and a worker forked from the server runs them as the
client would have. The server is optional (GATEKIT_RESIDENT=0 turns it off), starts itself, exits
when idle or when gatekit's code changes on disk, and is never needed for correctness: whenever it
is absent, stale or failing, the client runs the command itself.

- protocol.py: where the server listens, what identifies it, and the messages;
- client.py: hand a run over (imported on every start: only cheap modules);
- server.py: accept, fork a worker per run, report how it ended;
- worker.py: become the client (streams, environment, directory, identity) and run;
- standing.py: the client's niceness, resource limits, CPUs and OOM score, and whether a server can
  take them.
"""
