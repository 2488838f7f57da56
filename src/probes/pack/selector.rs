//! CSS selectors of probe packs, with parse errors said in Hutong's words: what is wrong
//! and the selector, never the selector crate's own text (which for most mistakes is
//! "Unexpected error occurred. Please report this to the developer" and a debug dump).

use scraper::Selector;
use scraper::error::SelectorErrorKind;
use selectors::parser::SelectorParseErrorKind as Kind;

/// Parses `source`; the error quotes it and says what is wrong with it.
pub(crate) fn parse(source: &str) -> Result<Selector, String> {
    Selector::parse(source)
        .map_err(|e| format!("\"{source}\" is not a CSS selector: {}", explain(&e)))
}

const UNSUPPORTED: &str = "it uses a pseudo-class or pseudo-element that pages cannot be \
     tested for: structural ones such as `:first-child`, `:nth-child()`, `:not()`, `:is()`, \
     `:has()` and `:empty` work (with their parentheses where they take some); states such \
     as `:hover` and pseudo-elements such as `::before` do not";

/// What a selector-parse error means to someone writing a pack. Every kind the crates can
/// give is matched by name, so a kind added in a new version does not compile unexplained.
fn explain(e: &SelectorErrorKind) -> &'static str {
    match e {
        SelectorErrorKind::UnexpectedToken => {
            "it holds something a selector cannot contain there (a stray character, quote \
             or bracket, text after a closing bracket, or an argument a pseudo-class does \
             not take)"
        }
        SelectorErrorKind::EndOfLine => {
            "it stops in the middle: a bracket or parenthesis is not closed, or a name or \
             value is missing after `.`, `:`, `::` or `=`"
        }
        SelectorErrorKind::InvalidAtRule | SelectorErrorKind::InvalidAtRuleBody => {
            "@-rules belong in style sheets, not in selectors"
        }
        SelectorErrorKind::QualRuleInvalid => "it is a style rule, not a selector",
        SelectorErrorKind::TooManyNestedBlocks => "its brackets are nested too deeply",
        SelectorErrorKind::ExpectedColonOnPseudoElement => {
            "a pseudo-element is written with two colons, like `::marker`"
        }
        SelectorErrorKind::ExpectedIdentityOnPseudoElement => {
            "`:` and `::` must be followed by the name of a pseudo-class or pseudo-element"
        }
        SelectorErrorKind::UnexpectedSelectorParseError(kind) => match kind {
            Kind::EmptySelector => {
                "a selector in it is empty or does not start with a tag name, `*`, \
                 `.class`, `#id`, `[attribute]` or `:pseudo-class` (look for a stray comma, \
                 a combinator at the start, or a name that starts with a digit)"
            }
            Kind::DanglingCombinator => {
                "a combinator (`>`, `+`, `~`) has nothing after it, or two are in a row"
            }
            Kind::NoQualifiedNameInAttributeSelector => {
                "an attribute selector needs an attribute name, like `[href]` or \
                 `[data-pay=\"alipay\"]`"
            }
            Kind::UnexpectedTokenInAttributeSelector => {
                "an attribute selector holds something unexpected: write `[name]`, \
                 `[name=value]`, `[name~=value]`, `[name|=value]`, `[name^=value]`, \
                 `[name$=value]` or `[name*=value]`"
            }
            Kind::BadValueInAttr => {
                "an attribute value must be a plain word or a quoted string (quote values \
                 that start with a digit or hold spaces or symbols)"
            }
            Kind::InvalidQualNameInAttr => {
                "an attribute selector's name is not a valid attribute name"
            }
            Kind::ExpectedNamespace => {
                "it uses a namespace prefix (`prefix|name`), and packs declare no \
                 namespaces (a `|` in an attribute selector is read as one)"
            }
            Kind::ExpectedBarInAttr => {
                "in an attribute selector, `*` must be followed by `|` and a name"
            }
            Kind::ExplicitNamespaceUnexpectedToken => "`|` must be followed by a tag name or `*`",
            Kind::ClassNeedsIdent => "`.` must be followed directly by a class name",
            Kind::NoIdentForPseudo | Kind::PseudoElementExpectedIdent => {
                "`:` and `::` must be followed by the name of a pseudo-class or pseudo-element"
            }
            Kind::PseudoElementExpectedColon => {
                "a pseudo-element is written with two colons, like `::marker`"
            }
            Kind::InvalidState | Kind::InvalidPseudoElementInsideWhere => {
                "a pseudo-element is not allowed there (not inside `:not()`, `:is()`, \
                 `:where()` or `:has()`, and nothing but a few pseudo-classes may follow one)"
            }
            Kind::NonCompoundSelector => {
                "only a compound selector (no combinators) is allowed inside this \
                 pseudo-class"
            }
            Kind::NonPseudoElementAfterSlotted | Kind::InvalidPseudoElementAfterSlotted => {
                "`::slotted()` cannot be followed by this"
            }
            Kind::UnsupportedPseudoClassOrElement => UNSUPPORTED,
            Kind::UnexpectedIdent => "a name appears where none is allowed",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The selector crates' own words, which must never reach a pack author.
    fn crate_text(message: &str) -> bool {
        [
            "report this",
            "Unexpected error",
            "developer",
            "EOL",
            "Token was",
        ]
        .iter()
        .any(|t| message.contains(t))
    }

    #[test]
    fn every_mistake_the_parser_reports_is_explained_in_our_words() {
        // One selector for each kind of error the parser gives for selectors.
        let cases = [
            ("a)", "it holds something a selector cannot contain there"),
            ("div[", "it stops in the middle"),
            (":::before", "`:` and `::` must be followed by the name"),
            ("a,,b", "a selector in it is empty or does not start with"),
            ("div >", "a combinator (`>`, `+`, `~`) has nothing after it"),
            ("[=x]", "an attribute selector needs an attribute name"),
            ("[a b]", "an attribute selector holds something unexpected"),
            (
                "[a=1b]",
                "an attribute value must be a plain word or a quoted string",
            ),
            (
                "[*|1]",
                "an attribute selector's name is not a valid attribute name",
            ),
            ("ns|a", "it uses a namespace prefix"),
            (
                "[*a]",
                "in an attribute selector, `*` must be followed by `|`",
            ),
            ("*|1", "`|` must be followed by a tag name or `*`"),
            ("a. b", "`.` must be followed directly by a class name"),
            (":not(::before)", "a pseudo-element is not allowed there"),
            (
                ":hover",
                "it uses a pseudo-class or pseudo-element that pages cannot be",
            ),
        ];
        for (source, cause) in cases {
            let message = parse(source)
                .err()
                .unwrap_or_else(|| panic!("{source:?} parsed"));
            assert!(
                message.starts_with(&format!("\"{source}\" is not a CSS selector: {cause}")),
                "{source:?}: {message}"
            );
            assert!(!crate_text(&message), "{source:?}: {message}");
        }
    }

    #[test]
    fn every_kind_of_error_has_words_of_ours() {
        let custom = [
            Kind::NoQualifiedNameInAttributeSelector,
            Kind::EmptySelector,
            Kind::DanglingCombinator,
            Kind::NonCompoundSelector,
            Kind::NonPseudoElementAfterSlotted,
            Kind::InvalidPseudoElementAfterSlotted,
            Kind::InvalidPseudoElementInsideWhere,
            Kind::InvalidState,
            Kind::UnexpectedTokenInAttributeSelector,
            Kind::PseudoElementExpectedColon,
            Kind::PseudoElementExpectedIdent,
            Kind::NoIdentForPseudo,
            Kind::UnsupportedPseudoClassOrElement,
            Kind::UnexpectedIdent,
            Kind::ExpectedNamespace,
            Kind::ExpectedBarInAttr,
            Kind::BadValueInAttr,
            Kind::InvalidQualNameInAttr,
            Kind::ExplicitNamespaceUnexpectedToken,
            Kind::ClassNeedsIdent,
        ]
        .map(SelectorErrorKind::UnexpectedSelectorParseError);
        let basic = [
            SelectorErrorKind::UnexpectedToken,
            SelectorErrorKind::EndOfLine,
            SelectorErrorKind::InvalidAtRule,
            SelectorErrorKind::InvalidAtRuleBody,
            SelectorErrorKind::QualRuleInvalid,
            SelectorErrorKind::TooManyNestedBlocks,
            SelectorErrorKind::ExpectedColonOnPseudoElement,
            SelectorErrorKind::ExpectedIdentityOnPseudoElement,
        ];
        for kind in basic.iter().chain(&custom) {
            let ours = explain(kind);
            assert!(!crate_text(ours), "{kind:?}: {ours}");
            // The crate's words for it are not ours.
            assert_ne!(ours, kind.to_string(), "{kind:?}");
        }
    }
}
