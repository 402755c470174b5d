import asyncio

from rows import next_row_id

assert asyncio.run(next_row_id("abc")) == 31
