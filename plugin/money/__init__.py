"""Money: what a job costs before it is sent, what the account can pay, caps, receipts.

- :mod:`.pricing`: :class:`~.pricing.Quote` (a price and where it came from: a dry run or the
  spec's price table) and :class:`~.pricing.AccountDetails` (the balance).
- :mod:`.caps`: spending caps per job, per batch and per day (config file and environment).
- :mod:`.balance`: refuse a job or batch whose price is above the account's balance.
- :mod:`.guard`: the built-in ``spending_guard`` plugin that enforces the caps before submit,
  the journal being the ledger (atomic across processes).
- :mod:`.receipts`: what was spent, from the journal (``minimax-cover spend``).
"""
