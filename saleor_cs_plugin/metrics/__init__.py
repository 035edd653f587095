"""Service metrics: what the customers said in their surveys and what the store
keeps of its own service (promises kept, contacts, notices, coupon failures,
returns, repeat purchases), for one channel and period.

``measure`` counts them in a fixed number of statements on the read connection;
``report`` (the ``cs_report`` command) draws them by week into one HTML file.
"""
