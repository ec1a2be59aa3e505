"""The channel layer: channels-redis's, waiting longer for each process's messages.

channels-redis reads a process's messages with a blocking ``BZPOPMIN`` that gives up after
5 seconds and is then asked again, each time with a clean-up script before it: two trips to
Redis, about 0.3 ms of CPU, every 5 seconds in every process, whether any message comes or
not. The sockets' control messages are rare (a removal, a sign-out), so the wait is made
longer; a message still arrives the moment it is sent. The wait must stay shorter than the
connection's read timeout (``socket_timeout`` in ``lms.settings``), or redis-py would end it
with an error first."""

from channels_redis.core import RedisChannelLayer as _RedisChannelLayer

WAIT_SECONDS = 12


class RedisChannelLayer(_RedisChannelLayer):
    brpop_timeout = WAIT_SECONDS
