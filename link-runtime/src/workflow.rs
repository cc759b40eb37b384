//! Workflow steps with compensation, usable without any workflow engine.
//!
//! A [`Runner`] executes steps in order; when a step (or the caller) fails,
//! it compensates the completed steps in reverse order and returns both the
//! failure and any compensation failure. Each step's compensation undoes
//! exactly what the step did:
//!
//! - [`CreateRemoteLink`]: links it created are erased; links that already
//!   existed and that it changed are put back exactly as they were, every
//!   column (id, extra values, `deleted_at`, `updated_at`), with
//!   [`Link::put_back`] (Medusa dismisses those too), so a `restore_exact`
//!   with the report of the delete that had removed one still finds it;
//! - [`DismissRemoteLink`]: snapshots, dismisses; compensation puts the
//!   snapshot back exactly;
//! - [`RemoveRemoteLink`]: delete with cascade; compensation restores exactly
//!   what was removed, not older dismissals (Medusa restores those too);
//! - [`UseQueryGraph`]: runs a graph query and passes its rows on.
//!
//! ```no_run
//! use link_runtime::workflow::{CreateRemoteLink, RemoveRemoteLink, Runner, WorkflowError};
//! use link_runtime::{Link, LinkValue, Selection};
//!
//! async fn replace_channel(link: &Link, new_links: Vec<LinkValue>, old: Selection) -> Result<(), WorkflowError> {
//!     let mut run = Runner::new();
//!     run.step(&CreateRemoteLink::new(link.clone()), new_links).await?;
//!     run.step(&RemoveRemoteLink::new(link.clone()), vec![old]).await?;
//!     // Anything else failing here: undo both steps.
//!     if false {
//!         return Err(run.abort("payment failed").await);
//!     }
//!     Ok(())
//! }
//! ```

#![warn(missing_docs)]

use std::future::Future;
use std::pin::Pin;

use crate::error::Error;
use crate::link::{CascadeReport, Link, LinkRow, ListFilter, Selection};
use crate::query::{Graph, GraphResult, Query};
use crate::value::LinkValue;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// The compensation of one completed step.
type Undo = Box<dyn FnOnce() -> BoxFuture<Result<(), Error>> + Send>;

/// A step: a forward action and the compensation of what it did.
pub trait Step: Clone + Send + Sync + 'static {
    /// What the step takes.
    type Input: Send;
    /// What the step returns.
    type Output: Send;
    /// What compensation needs to undo exactly this invocation.
    type Undo: Send + 'static;

    /// The step's name, as Medusa's workflow step is called.
    fn name(&self) -> &'static str;

    /// Runs the step; returns its output and what undoes it.
    fn invoke(
        &self,
        input: Self::Input,
    ) -> impl Future<Output = Result<(Self::Output, Self::Undo), Error>> + Send;

    /// Undoes exactly what one invocation did.
    fn compensate(&self, undo: Self::Undo) -> impl Future<Output = Result<(), Error>> + Send;
}

/// Why a workflow failed: the failure, and every compensation that failed.
#[derive(Debug)]
pub struct WorkflowError {
    /// The step (or `caller`) that failed.
    pub step: String,
    /// The failure's message.
    pub error: String,
    /// Compensations that failed, by step, in the order they ran.
    pub compensation: Vec<(String, Error)>,
}

impl std::fmt::Display for WorkflowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "step `{}` failed: {}", self.step, self.error)?;
        for (step, e) in &self.compensation {
            write!(f, "; compensating `{step}` also failed: {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for WorkflowError {}

/// Runs steps in order and compensates completed ones on failure.
#[derive(Default)]
pub struct Runner {
    done: Vec<(&'static str, Undo)>,
}

impl Runner {
    /// A runner with no completed step.
    pub fn new() -> Runner {
        Runner::default()
    }

    /// Runs one step. On failure every completed step is compensated (in
    /// reverse order) before the error is returned.
    pub async fn step<S: Step>(
        &mut self,
        step: &S,
        input: S::Input,
    ) -> Result<S::Output, WorkflowError> {
        match step.invoke(input).await {
            Ok((out, undo)) => {
                let s = step.clone();
                self.done.push((
                    step.name(),
                    Box::new(move || Box::pin(async move { s.compensate(undo).await })),
                ));
                Ok(out)
            }
            Err(e) => Err(self.compensate(step.name(), e.to_string()).await),
        }
    }

    /// A failure outside the steps: compensates every completed step.
    pub async fn abort(self, reason: impl std::fmt::Display) -> WorkflowError {
        let mut me = self;
        me.compensate("caller", reason.to_string()).await
    }

    async fn compensate(&mut self, step: &str, error: String) -> WorkflowError {
        let mut failures = Vec::new();
        while let Some((name, undo)) = self.done.pop() {
            if let Err(e) = undo().await {
                failures.push((name.to_string(), e));
            }
        }
        WorkflowError {
            step: step.to_string(),
            error,
            compensation: failures,
        }
    }

    /// Number of completed (compensable) steps.
    pub fn completed(&self) -> usize {
        self.done.len()
    }
}

/// `create_remote_link`.
#[derive(Clone)]
pub struct CreateRemoteLink {
    link: Link,
}

impl CreateRemoteLink {
    /// The step on `link`.
    pub fn new(link: Link) -> Self {
        CreateRemoteLink { link }
    }
}

/// What a create changed: the pairs it inserted, and the previous rows of
/// the pairs it changed that existed (live or dismissed) before it.
pub struct CreateUndo {
    created: Vec<LinkValue>,
    previous: Vec<LinkRow>,
}

impl Step for CreateRemoteLink {
    type Input = Vec<LinkValue>;
    type Output = Vec<LinkRow>;
    type Undo = CreateUndo;

    fn name(&self) -> &'static str {
        "create_remote_link"
    }

    async fn invoke(&self, input: Vec<LinkValue>) -> Result<(Vec<LinkRow>, CreateUndo), Error> {
        if input.is_empty() {
            return Ok((
                Vec::new(),
                CreateUndo {
                    created: Vec::new(),
                    previous: Vec::new(),
                },
            ));
        }
        let previous = self
            .link
            .list(&ListFilter::Pairs(input.clone()), true)
            .await?;
        let rows = self.link.create(input).await?;
        let before = |r: &LinkRow| {
            previous
                .iter()
                .find(|p| p.link == r.link && p.left == r.left && p.right == r.right)
        };
        let created = rows
            .iter()
            .filter(|r| before(r).is_none())
            .map(LinkRow::to_value)
            .collect();
        // Only rows the create changed need putting back.
        let previous = rows
            .iter()
            .filter_map(|r| before(r).filter(|p| *p != r).cloned())
            .collect();
        Ok((rows, CreateUndo { created, previous }))
    }

    async fn compensate(&self, undo: CreateUndo) -> Result<(), Error> {
        if !undo.created.is_empty() {
            self.link.erase(undo.created).await?;
        }
        if !undo.previous.is_empty() {
            self.link.put_back(&undo.previous).await?;
        }
        Ok(())
    }
}

/// `dismiss_remote_link`.
#[derive(Clone)]
pub struct DismissRemoteLink {
    link: Link,
}

impl DismissRemoteLink {
    /// The step on `link`.
    pub fn new(link: Link) -> Self {
        DismissRemoteLink { link }
    }
}

impl Step for DismissRemoteLink {
    type Input = Vec<LinkValue>;
    type Output = Vec<LinkRow>;
    /// The live rows before the dismissal.
    type Undo = Vec<LinkRow>;

    fn name(&self) -> &'static str {
        "dismiss_remote_link"
    }

    async fn invoke(&self, input: Vec<LinkValue>) -> Result<(Vec<LinkRow>, Vec<LinkRow>), Error> {
        if input.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let snapshot = self
            .link
            .list(&ListFilter::Pairs(input.clone()), false)
            .await?;
        let rows = self.link.dismiss(input).await?;
        Ok((rows, snapshot))
    }

    async fn compensate(&self, snapshot: Vec<LinkRow>) -> Result<(), Error> {
        if snapshot.is_empty() {
            return Ok(());
        }
        self.link.put_back(&snapshot).await?;
        Ok(())
    }
}

/// `remove_remote_link`: delete with cascade.
#[derive(Clone)]
pub struct RemoveRemoteLink {
    link: Link,
}

impl RemoveRemoteLink {
    /// The step on `link`.
    pub fn new(link: Link) -> Self {
        RemoveRemoteLink { link }
    }
}

impl Step for RemoveRemoteLink {
    type Input = Vec<Selection>;
    type Output = CascadeReport;
    type Undo = (Vec<Selection>, CascadeReport);

    fn name(&self) -> &'static str {
        "remove_remote_link"
    }

    async fn invoke(&self, input: Vec<Selection>) -> Result<(CascadeReport, Self::Undo), Error> {
        let report = self.link.delete(&input).await?;
        Ok((report.clone(), (input, report)))
    }

    async fn compensate(&self, (selections, report): Self::Undo) -> Result<(), Error> {
        self.link.restore_exact(&selections, &report).await?;
        Ok(())
    }
}

/// `use_query_graph`: runs a graph query; nothing to compensate.
#[derive(Clone)]
pub struct UseQueryGraph {
    query: Query,
}

impl UseQueryGraph {
    /// The step on `query`.
    pub fn new(query: Query) -> Self {
        UseQueryGraph { query }
    }
}

impl Step for UseQueryGraph {
    type Input = Graph;
    type Output = GraphResult;
    type Undo = ();

    fn name(&self) -> &'static str {
        "use_query_graph"
    }

    async fn invoke(&self, input: Graph) -> Result<(GraphResult, ()), Error> {
        Ok((self.query.graph(input).await?, ()))
    }

    async fn compensate(&self, _: ()) -> Result<(), Error> {
        Ok(())
    }
}
