"""The domain: the rules of a review and the use cases that apply them, one transaction each."""
