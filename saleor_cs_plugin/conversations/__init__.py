"""Conversations with customers on their own channels: the messages the store's
bridges (SMS, chat, social inboxes, e-mail) post to the plugin, grouped per sender.

- ``inbound`` answers the bridges' posts at the plugin's inbound address: signature,
  replay window, size, format;
- ``identity`` finds the customer behind a sender, only through an identity the
  store holds and the customer controls;
- ``record`` files a message into its conversation (opened, or reopened) with its
  service-history entry, once per bridge message id.

The rules (what a post may be, how it is signed, where a conversation stands) are
pure, in ``domain.conversations``.
"""
