"""Pages for customers that the plugin serves itself, through Saleor's plugin URL
``/plugins/channel/<channel slug>/<plugin id>/<page>/`` (``BasePlugin.webhook``), so
that every link in a message works on a store whose storefront has no such page.

``routes`` maps a path to its view; ``views`` (the stock-shortage page, and what
every page shares), ``survey`` (the survey page) and ``problem`` (the
problem-report page) read the token, call one use case and render a template of
``templates/saleor_cs_plugin/pages/`` in the customer's language; ``throttle`` slows down a burst of bad links; ``links`` says
where a link in a message points (this page, or the storefront's).
"""
