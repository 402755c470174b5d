import asyncio

from profiles import display_name

got = asyncio.run(display_name(7))
assert got == "User7", got
