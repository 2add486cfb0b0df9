"""The WebSocket side of the contact centre: one base for every socket, one module per socket.

- frames.py: reading and checking inbound frames (size, JSON shape, text rules);
- base.py: FrameSocket (limits, close codes, errors, the tick, group membership)
  and StaffSocket (re-checks the member of staff on every frame and tick);
- shared.py: queue reads shared by the sockets of one process;
- youth.py: the young person's chat (ws/chat/);
- youth_watch.py: the process's one watch that ticks young people's sockets;
- console.py: the operators' and supervisors' console (ws/console/).

The liaison's queue (escalation/consumers.py) is a StaffSocket too. Sockets read
only through selectors and write only through services; docs/protocol.md
describes every frame.
"""
