"""The CS tool: the FastAPI service and web page where CS staff review reported listings.

Not built yet (issue 4). The worker already fills its queue: every report and every auto-hide opens a
row in ``review_items`` (see ``lovemachine.adapters.sql``), and every decision carries its scores,
reasons and model version for the reviewer.
"""
