"""One ConText engine (negation, history and time, family, hypothetical, exception cues) for criteria and notes."""

from trialscout.context.engine import Found, Scope, active, categories, find, scopes
from trialscout.context.rules import CATEGORIES, Cue, RuleSet, rule_set, time_rules
from trialscout.context.text import sentences, tokens

__all__ = ["CATEGORIES", "Cue", "Found", "RuleSet", "Scope", "active", "categories", "find", "rule_set", "scopes",
           "sentences", "time_rules", "tokens"]
