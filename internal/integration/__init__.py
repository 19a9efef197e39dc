"""Integration: source systems' files loaded into the integrated model, and supplier demand derived.

``records`` declares what each system sends, ``readers`` reads its dialect, ``load`` checks a file whole
and upserts it, ``service`` runs import jobs, ``tasks`` puts them on Celery, ``demand`` derives supplier
demand from customer demand. Formats: docs/import-formats.md.
"""
