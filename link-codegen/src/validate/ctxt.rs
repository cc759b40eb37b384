//! The validation context: every rule reports into it, and it must be
//! checked before it is dropped (serde_derive's `Ctxt`).

use std::cell::RefCell;

use crate::diagnostic::Diagnostic;

/// Collects the problems found by the `check_*` rules of one validation run.
///
/// Rules take `&Ctxt` and report with [`Ctxt::error`]; they never stop at a
/// problem unless a later rule would only repeat it. The collected problems
/// are taken out with [`Ctxt::check`]; dropping a context that was never
/// checked panics, so no problem can be lost silently.
pub struct Ctxt<S> {
    /// `None` once checked.
    errors: RefCell<Option<Vec<Diagnostic<S>>>>,
}

impl<S> Default for Ctxt<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S> Ctxt<S> {
    /// An empty context.
    pub fn new() -> Self {
        Ctxt {
            errors: RefCell::new(Some(Vec::new())),
        }
    }

    /// Records a problem.
    pub fn error(&self, d: Diagnostic<S>) {
        self.errors
            .borrow_mut()
            .as_mut()
            .expect("Ctxt used after check()")
            .push(d);
    }

    /// How many problems have been recorded so far (a rule compares counts
    /// to know whether the rules it ran found anything).
    pub fn count(&self) -> usize {
        self.errors.borrow().as_ref().map_or(0, Vec::len)
    }

    /// Consumes the context: `Ok` when no problem was recorded, else every
    /// problem in the order found.
    pub fn check(self) -> Result<(), Vec<Diagnostic<S>>> {
        let errors = self.errors.borrow_mut().take().expect("Ctxt checked twice");
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

impl<S> Drop for Ctxt<S> {
    fn drop(&mut self) {
        if !std::thread::panicking() && self.errors.get_mut().is_some() {
            panic!("validate::Ctxt dropped without check()");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_returns_the_problems_in_order() {
        let cx: Ctxt<u32> = Ctxt::new();
        assert_eq!(cx.count(), 0);
        cx.error(Diagnostic::new(1, "first", "a"));
        cx.error(Diagnostic::new(2, "second", "b"));
        assert_eq!(cx.count(), 2);
        let errors = cx.check().unwrap_err();
        let messages: Vec<&str> = errors.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages, ["first", "second"]);
    }

    #[test]
    fn an_empty_context_checks_ok() {
        let cx: Ctxt<u32> = Ctxt::new();
        assert_eq!(cx.check(), Ok(()));
    }

    #[test]
    #[should_panic(expected = "validate::Ctxt dropped without check()")]
    fn dropping_an_unchecked_context_panics() {
        let cx: Ctxt<u32> = Ctxt::new();
        drop(cx);
    }
}
