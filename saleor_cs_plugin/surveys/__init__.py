"""Follow-up surveys: the customer's verdict on how the store handled an order, an
abandoned checkout or a problem, and the metrics built from it.

- ``schedule`` records the surveys that become due later (an order shipped or
  delivered, a problem handled); ``sweep`` decides the due ones (sample, fatigue)
  and finds abandoned checkouts; ``asking`` composes the survey notice with its link;
- ``tokens`` signs and checks the link's token;
- ``answers`` records a customer's answers (history, call-back alert, order note);
- ``privacy`` erases old free text;
- ``metrics`` measures service for a channel and period; ``report`` draws them
  into one HTML file.

The rules (who is asked, which questions, what an answer may be) are pure, in
``domain.surveys``.
"""
