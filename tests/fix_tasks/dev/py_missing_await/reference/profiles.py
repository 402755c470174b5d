import asyncio


async def fetch_user(user_id: int) -> dict[str, str]:
    await asyncio.sleep(0)
    return {"id": str(user_id), "name": f"user{user_id}"}


async def display_name(user_id: int) -> str:
    data = await fetch_user(user_id)
    return data["name"].title()
