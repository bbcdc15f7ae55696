"""Protocol-faithful channel simulators for the local stack and the tests.

Each sandbox implements its provider's side of the wire protocol on its own (with
``cryptography`` directly) and never imports ``paymux``: a mistake in the gateway's channel
code cannot then hide behind the same mistake in its simulator.
"""
