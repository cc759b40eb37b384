//! Turning what callers pass (typed link values, Medusa's JSON shape) into
//! resolved link values, with errors that name the valid choices.

#![warn(missing_docs)]

use std::sync::Arc;

use serde_json::{Map, Value};

use link_model::{Link, LinkGraph, LinkKind, Side};

use crate::error::{Error, one_of};
use crate::value::{LinkValue, TypedLink};

/// Anything the Link service accepts as one or many links.
pub trait IntoLinkValues {
    /// Resolves the input against `graph` into link values.
    fn into_link_values(self, graph: &LinkGraph) -> Result<Vec<LinkValue>, Error>;
}

impl<T: TypedLink> IntoLinkValues for T {
    fn into_link_values(self, _graph: &LinkGraph) -> Result<Vec<LinkValue>, Error> {
        Ok(vec![self.into_value()])
    }
}

impl<T: TypedLink> IntoLinkValues for Vec<T> {
    fn into_link_values(self, _graph: &LinkGraph) -> Result<Vec<LinkValue>, Error> {
        Ok(self.into_iter().map(TypedLink::into_value).collect())
    }
}

impl<T: TypedLink, const N: usize> IntoLinkValues for [T; N] {
    fn into_link_values(self, _graph: &LinkGraph) -> Result<Vec<LinkValue>, Error> {
        Ok(self.into_iter().map(TypedLink::into_value).collect())
    }
}

impl IntoLinkValues for LinkValue {
    fn into_link_values(self, _graph: &LinkGraph) -> Result<Vec<LinkValue>, Error> {
        Ok(vec![self])
    }
}

impl IntoLinkValues for Vec<LinkValue> {
    fn into_link_values(self, _graph: &LinkGraph) -> Result<Vec<LinkValue>, Error> {
        Ok(self)
    }
}

/// Medusa's JSON shape: one object or an array of objects, each
/// `{"<module>": {"<key>": "<id>"}, "<module>": {"<key>": "<id>"}, "data": {…}}`
/// with the two modules in either order.
impl IntoLinkValues for Value {
    fn into_link_values(self, graph: &LinkGraph) -> Result<Vec<LinkValue>, Error> {
        match self {
            Value::Array(mut items) => {
                // Items of one shape (same modules and keys) resolve once;
                // data is moved out. Ids are copied, not moved: the copies
                // lie side by side in memory, in batch order, while ids moved
                // out of the tree would stay scattered between its freed
                // nodes, and every later pass over the batch (id checks,
                // dedup, binding) would miss the cache on each of them. The
                // tree is freed after the batch is built: freed earlier, its
                // holes would take the copies and scatter them again.
                let mut cache: Vec<(Shape, String, bool)> = Vec::new();
                let mut out = Vec::with_capacity(items.len());
                for item in &mut items {
                    out.push(resolve_owned(graph, item, &mut cache)?);
                }
                drop(items);
                Ok(out)
            }
            v => Ok(vec![resolve_json(graph, &v)?]),
        }
    }
}

/// `(name a, key a, name b, key b)` of a Medusa-shaped object.
type Shape = (String, String, String, String);

/// The key of a side `{"<key>": "<id>"}` of the simple form.
fn simple_key(v: &Value) -> Option<&String> {
    let Value::Object(obj) = v else { return None };
    if obj.len() != 1 {
        return None;
    }
    let (key, id) = obj.iter().next()?;
    matches!(id, Value::String(_) | Value::Number(_)).then_some(key)
}

/// The id of a side checked by [`simple_key`], copied.
fn copy_id(v: &Value) -> String {
    match v {
        Value::Object(obj) => match obj.values().next() {
            Some(Value::String(s)) => s.as_str().to_owned(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        },
        _ => String::new(),
    }
}

/// [`resolve_json`] for an item the caller gives up (its `data` is moved
/// out), with the link resolution of its shape cached. Anything unusual
/// takes the general path, with its errors.
fn resolve_owned(
    graph: &LinkGraph,
    item: &mut Value,
    cache: &mut Vec<(Shape, String, bool)>,
) -> Result<LinkValue, Error> {
    // Look the shape up without changing the item or allocating.
    let hit = (|| {
        let Value::Object(obj) = &item else {
            return None;
        };
        if !matches!(
            obj.get("data"),
            None | Some(Value::Null) | Some(Value::Object(_))
        ) {
            return None;
        }
        let mut sides = obj.iter().filter(|(k, _)| k.as_str() != "data");
        let (name_a, va) = sides.next()?;
        let (name_b, vb) = sides.next()?;
        if sides.next().is_some() {
            return None;
        }
        let (key_a, key_b) = (simple_key(va)?, simple_key(vb)?);
        cache.iter().position(|(s, _, _)| {
            s.0 == *name_a && s.1 == *key_a && s.2 == *name_b && s.3 == *key_b
        })
    })();
    if let Some(i) = hit
        && let Value::Object(obj) = item
    {
        // The two sides in the order the lookup saw them, then the data.
        let mut ids = obj
            .iter()
            .filter(|(k, _)| k.as_str() != "data")
            .map(|(_, v)| copy_id(v));
        let (id_a, id_b) = (
            ids.next().unwrap_or_default(),
            ids.next().unwrap_or_default(),
        );
        drop(ids);
        let data = match obj.remove("data") {
            Some(Value::Object(d)) => d,
            _ => Map::new(),
        };
        let (_, link, a_is_left) = &cache[i];
        let (left, right) = if *a_is_left {
            (id_a, id_b)
        } else {
            (id_b, id_a)
        };
        return Ok(LinkValue::new(link.clone(), left, right, data));
    }
    // General path (and the place errors come from); then remember the shape.
    let v = resolve_json(graph, item)?;
    if let Value::Object(obj) = &*item {
        let sides: Vec<(&String, &Value)> =
            obj.iter().filter(|(k, _)| k.as_str() != "data").collect();
        if let [(name_a, Value::Object(a)), (name_b, Value::Object(b))] = sides.as_slice()
            && a.len() == 1
            && b.len() == 1
            && let (Some(key_a), Some(key_b)) = (a.keys().next(), b.keys().next())
            && let Some(link) = graph.link(&v.link)
        {
            let a_is_left = side_named(link, name_a).contains(&Side::Left)
                && link.left.key == *key_a
                && side_named(link, name_b).contains(&Side::Right)
                && link.right.key == *key_b;
            let a_is_right = side_named(link, name_a).contains(&Side::Right)
                && link.right.key == *key_a
                && side_named(link, name_b).contains(&Side::Left)
                && link.left.key == *key_b;
            // Only an unambiguous orientation is cached.
            if a_is_left != a_is_right {
                cache.push((
                    (
                        (*name_a).clone(),
                        key_a.clone(),
                        (*name_b).clone(),
                        key_b.clone(),
                    ),
                    v.link.clone(),
                    a_is_left,
                ));
            }
        }
    }
    Ok(v)
}

impl IntoLinkValues for &Value {
    fn into_link_values(self, graph: &LinkGraph) -> Result<Vec<LinkValue>, Error> {
        self.clone().into_link_values(graph)
    }
}

fn invalid(message: impl Into<String>) -> Error {
    Error::InvalidValue {
        message: message.into(),
    }
}

/// A side as written: the object key (module name or side alias) and its
/// single `{key: id}` entry.
struct Written<'a> {
    name: &'a str,
    key: &'a str,
    id: String,
}

fn written<'a>(name: &'a str, v: &'a Value) -> Result<Written<'a>, Error> {
    let Value::Object(obj) = v else {
        return Err(invalid(format!(
            "`{name}` must be an object like {{\"{name}_id\": \"…\"}}"
        )));
    };
    let mut entries = obj.iter();
    let (Some((key, id)), None) = (entries.next(), entries.next()) else {
        return Err(invalid(format!(
            "`{name}` must hold exactly one linkable key, like {{\"{name}_id\": \"…\"}}; found {}",
            obj.len()
        )));
    };
    let id = match id {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => {
            return Err(invalid(format!(
                "`{name}.{key}` must be a string id, found {other}"
            )));
        }
    };
    Ok(Written { name, key, id })
}

fn side_named(link: &Link, name: &str) -> Vec<Side> {
    let mut v = Vec::new();
    for s in [Side::Left, Side::Right] {
        let side = link.side(s);
        if side.module == name || side.alias == name {
            v.push(s);
        }
    }
    v
}

/// Resolves one Medusa-shaped object.
pub fn resolve_json(graph: &LinkGraph, v: &Value) -> Result<LinkValue, Error> {
    let Value::Object(obj) = v else {
        return Err(invalid(format!(
            "expected an object like {{\"product\": {{\"product_id\": \"prod_1\"}}, \"sales_channel\": {{\"sales_channel_id\": \"sc_1\"}}}}, found {v}"
        )));
    };
    let data = match obj.get("data") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(d)) => d.clone(),
        Some(other) => {
            return Err(invalid(format!(
                "`data` must be an object of extra columns, found {other}"
            )));
        }
    };
    let sides: Vec<(&String, &Value)> = obj.iter().filter(|(k, _)| k.as_str() != "data").collect();
    if sides.len() != 2 {
        return Err(invalid(format!(
            "a link names exactly two modules (plus optional `data`); found {}",
            one_of(sides.iter().map(|(k, _)| k.as_str()))
        )));
    }
    let known = |name: &str| {
        graph.modules.iter().any(|m| m.name == name)
            || graph
                .links
                .iter()
                .any(|l| l.left.alias == name || l.right.alias == name)
    };
    for (name, _) in &sides {
        if !known(name) {
            return Err(Error::UnknownModule {
                module: name.to_string(),
                expected: one_of(graph.modules.iter().map(|m| m.name.as_ref())),
            });
        }
    }
    let a = written(sides[0].0, sides[0].1)?;
    let b = written(sides[1].0, sides[1].1)?;
    resolve_pair(graph, &a, &b, data)
}

fn resolve_pair(
    graph: &LinkGraph,
    a: &Written<'_>,
    b: &Written<'_>,
    data: Map<String, Value>,
) -> Result<LinkValue, Error> {
    // Links joining these two names, in either order.
    let candidates: Vec<(&Link, Side, Side)> = graph
        .links
        .iter()
        .filter(|l| matches!(l.kind, LinkKind::Stored(_)))
        .flat_map(|l| {
            let mut v = Vec::new();
            for sa in side_named(l, a.name) {
                for sb in side_named(l, b.name) {
                    if sa != sb {
                        v.push((l, sa, sb));
                    }
                }
            }
            v
        })
        .collect();
    if candidates.is_empty() {
        return Err(Error::NoLinkBetween {
            left: a.name.to_string(),
            right: b.name.to_string(),
            hint: String::new(),
        });
    }
    let exact: Vec<&(&Link, Side, Side)> = candidates
        .iter()
        .filter(|(l, sa, sb)| l.side(*sa).key == a.key && l.side(*sb).key == b.key)
        .collect();
    match exact.as_slice() {
        [(link, sa, _)] => {
            let (left, right) = if *sa == Side::Left {
                (&a.id, &b.id)
            } else {
                (&b.id, &a.id)
            };
            Ok(LinkValue::new(
                link.name.to_string(),
                left.clone(),
                right.clone(),
                data,
            ))
        }
        [] => {
            // Name the key that is wrong and what it should be.
            for (w, other) in [(a, b), (b, a)] {
                let expected: Vec<&str> = candidates
                    .iter()
                    .filter(|(l, sa, sb)| {
                        let (mine, theirs) =
                            if side_named(l, w.name).contains(sa) && w.name == a.name {
                                (*sa, *sb)
                            } else {
                                (*sb, *sa)
                            };
                        l.side(theirs).key == other.key || l.side(mine).key == w.key
                    })
                    .map(|(l, sa, sb)| {
                        let mine = if w.name == a.name { *sa } else { *sb };
                        l.side(mine).key.as_ref()
                    })
                    .collect();
                if !expected.is_empty() && !expected.contains(&w.key) {
                    let model = candidates
                        .iter()
                        .map(|(l, sa, sb)| {
                            l.side(if w.name == a.name { *sa } else { *sb })
                                .model
                                .to_string()
                        })
                        .next()
                        .unwrap_or_else(|| w.name.to_string());
                    let mut expected: Vec<&str> = expected;
                    expected.dedup();
                    return Err(Error::UnknownKey {
                        model,
                        key: w.key.to_string(),
                        expected: one_of(expected),
                    });
                }
            }
            let valid: Vec<String> = candidates
                .iter()
                .map(|(l, sa, sb)| {
                    format!(
                        "{}.{} with {}.{}",
                        a.name,
                        l.side(*sa).key,
                        b.name,
                        l.side(*sb).key
                    )
                })
                .collect();
            Err(Error::NoLinkBetween {
                left: format!("{}.{}", a.name, a.key),
                right: format!("{}.{}", b.name, b.key),
                hint: format!("; expected {}", one_of(valid)),
            })
        }
        many => Err(invalid(format!(
            "{} links join `{}` and `{}` with these keys ({}); name the sides by their aliases",
            many.len(),
            a.name,
            b.name,
            one_of(many.iter().map(|(l, _, _)| l.name.as_ref()))
        ))),
    }
}

/// A batch of links in Medusa's JSON shape, read straight from the request
/// body (`serde_json::from_slice::<MedusaLinks>(body)`) without building a
/// JSON tree: one object or an array of objects, each
/// `{"<module>": {"<key>": "<id>"}, "<module>": {"<key>": "<id>"}, "data": {…}}`.
/// [`crate::Link::create`] and [`crate::Link::dismiss`] take it beside
/// [`Value`], with the same resolution and the same errors.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MedusaLinks(pub Vec<MedusaLink>);

/// One Medusa-shaped link as read by [`MedusaLinks`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MedusaLink {
    /// The entries other than `data`, in input order: module (or alias) and
    /// what it holds (names shared by every link of the batch that repeats
    /// them: see [`Names`]).
    pub sides: Vec<(Arc<str>, MedusaSide)>,
    /// The `data` entry, as given (`None` when absent).
    pub data: Option<Value>,
}

/// What a side entry holds.
#[derive(Debug, Clone, PartialEq)]
pub enum MedusaSide {
    /// `{"<key>": "<id>"}` (a numeric id is kept as its text).
    Key {
        /// The linkable key.
        key: Arc<str>,
        /// The id.
        id: String,
    },
    /// Anything else, kept as JSON for the error that names it.
    Other(Value),
}

impl MedusaLink {
    /// The link as a JSON object (the general path and its errors).
    fn to_value(&self) -> Value {
        let mut obj = Map::new();
        for (name, side) in &self.sides {
            let v = match side {
                MedusaSide::Key { key, id } => {
                    let mut m = Map::new();
                    m.insert(key.to_string(), Value::String(id.clone()));
                    Value::Object(m)
                }
                MedusaSide::Other(v) => v.clone(),
            };
            obj.insert(name.to_string(), v);
        }
        if let Some(d) = &self.data {
            obj.insert("data".into(), d.clone());
        }
        Value::Object(obj)
    }
}

/// The module and key names of a batch, each allocated once: a batch of
/// thousands of links names the same two modules and keys in every one.
#[derive(Default)]
struct Names(Vec<Arc<str>>);

impl Names {
    fn get(&mut self, name: &str) -> Arc<str> {
        match self.0.iter().find(|n| &***n == name) {
            Some(n) => n.clone(),
            None => {
                let n: Arc<str> = Arc::from(name);
                // A batch names a handful; a pathological one stays bounded.
                if self.0.len() < 64 {
                    self.0.push(n.clone());
                }
                n
            }
        }
    }
}

/// A map key or side key read through [`Names`].
struct Name<'a>(&'a mut Names);

impl<'de> serde::de::DeserializeSeed<'de> for Name<'_> {
    type Value = Arc<str>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Arc<str>, D::Error> {
        struct V<'a>(&'a mut Names);
        impl<'de> serde::de::Visitor<'de> for V<'_> {
            type Value = Arc<str>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a name")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Arc<str>, E> {
                Ok(self.0.get(s))
            }
        }
        d.deserialize_str(V(self.0))
    }
}

/// A side read with the batch's [`Names`].
struct SideSeed<'a>(&'a mut Names);

impl<'de> serde::de::DeserializeSeed<'de> for SideSeed<'_> {
    type Value = MedusaSide;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<MedusaSide, D::Error> {
        struct V<'a>(&'a mut Names);
        impl<'de> serde::de::Visitor<'de> for V<'_> {
            type Value = MedusaSide;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a side like {\"<key>\": \"<id>\"}")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<MedusaSide, A::Error> {
                let Some(key) = m.next_key_seed(Name(self.0))? else {
                    return Ok(MedusaSide::Other(Value::Object(Map::new())));
                };
                // The usual id, a string, is read straight into its place.
                let first = match m.next_value::<First>()? {
                    First::Id(id) => Ok(id),
                    First::Other(v) => Err(v),
                };
                let mut rest = Map::new();
                while let Some(k) = m.next_key::<String>()? {
                    rest.insert(k, m.next_value()?);
                }
                Ok(match first {
                    Ok(id) if rest.is_empty() => MedusaSide::Key { key, id },
                    first => {
                        let first = first.map_or_else(|v| v, Value::String);
                        let mut all = Map::new();
                        all.insert(key.to_string(), first);
                        all.extend(rest);
                        MedusaSide::Other(Value::Object(all))
                    }
                })
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<MedusaSide, E> {
                Ok(MedusaSide::Other(Value::String(s.to_string())))
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<MedusaSide, E> {
                Ok(MedusaSide::Other(Value::from(n)))
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<MedusaSide, E> {
                Ok(MedusaSide::Other(Value::from(n)))
            }
            fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<MedusaSide, E> {
                Ok(MedusaSide::Other(Value::from(n)))
            }
            fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<MedusaSide, E> {
                Ok(MedusaSide::Other(Value::Bool(b)))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<MedusaSide, E> {
                Ok(MedusaSide::Other(Value::Null))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut s: A,
            ) -> Result<MedusaSide, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = s.next_element::<Value>()? {
                    v.push(x);
                }
                Ok(MedusaSide::Other(Value::Array(v)))
            }
        }
        d.deserialize_any(V(self.0))
    }
}

/// The first value of a side: an id (a string, or a number as its text)
/// or anything else as JSON.
enum First {
    Id(String),
    Other(Value),
}

impl<'de> serde::Deserialize<'de> for First {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = First;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an id")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<First, E> {
                Ok(First::Id(s.to_string()))
            }
            fn visit_string<E: serde::de::Error>(self, s: String) -> Result<First, E> {
                Ok(First::Id(s))
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<First, E> {
                Ok(First::Id(n.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<First, E> {
                Ok(First::Id(n.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<First, E> {
                Ok(match serde_json::Number::from_f64(n) {
                    Some(n) => First::Id(n.to_string()),
                    None => First::Other(Value::Null),
                })
            }
            fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<First, E> {
                Ok(First::Other(Value::Bool(b)))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<First, E> {
                Ok(First::Other(Value::Null))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, m: A) -> Result<First, A::Error> {
                let v = <Value as serde::Deserialize>::deserialize(
                    serde::de::value::MapAccessDeserializer::new(m),
                )?;
                Ok(First::Other(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, s: A) -> Result<First, A::Error> {
                let v = <Value as serde::Deserialize>::deserialize(
                    serde::de::value::SeqAccessDeserializer::new(s),
                )?;
                Ok(First::Other(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// A link read with the batch's [`Names`].
struct LinkSeed<'a>(&'a mut Names);

impl<'de> serde::de::DeserializeSeed<'de> for LinkSeed<'_> {
    type Value = MedusaLink;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<MedusaLink, D::Error> {
        struct V<'a>(&'a mut Names);
        impl<'de> serde::de::Visitor<'de> for V<'_> {
            type Value = MedusaLink;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a link like {\"<module>\": {\"<key>\": \"<id>\"}, …}")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<MedusaLink, A::Error> {
                let mut link = MedusaLink {
                    sides: Vec::with_capacity(2),
                    data: None,
                };
                while let Some(k) = m.next_key_seed(Name(&mut *self.0))? {
                    if &*k == "data" {
                        link.data = Some(m.next_value()?);
                    } else {
                        let side = m.next_value_seed(SideSeed(&mut *self.0))?;
                        link.sides.push((k, side));
                    }
                }
                Ok(link)
            }
        }
        d.deserialize_map(V(self.0))
    }
}

impl<'de> serde::Deserialize<'de> for MedusaLinks {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = MedusaLinks;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a Medusa-shaped link or an array of them")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut s: A,
            ) -> Result<MedusaLinks, A::Error> {
                let mut names = Names::default();
                let mut v = Vec::with_capacity(s.size_hint().unwrap_or(0));
                while let Some(x) = s.next_element_seed(LinkSeed(&mut names))? {
                    v.push(x);
                }
                Ok(MedusaLinks(v))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                m: A,
            ) -> Result<MedusaLinks, A::Error> {
                let one = serde::de::DeserializeSeed::deserialize(
                    LinkSeed(&mut Names::default()),
                    serde::de::value::MapAccessDeserializer::new(m),
                )?;
                Ok(MedusaLinks(vec![one]))
            }
        }
        d.deserialize_any(V)
    }
}

impl IntoLinkValues for MedusaLinks {
    fn into_link_values(mut self, graph: &LinkGraph) -> Result<Vec<LinkValue>, Error> {
        // Ids and data are moved out (names are shared, so the parsed ids
        // already lie side by side in batch order); the parsed links are
        // freed once the batch is built.
        let mut cache: Vec<(Shape, String, bool)> = Vec::new();
        let mut out = Vec::with_capacity(self.0.len());
        for item in &mut self.0 {
            out.push(resolve_medusa(graph, item, &mut cache)?);
        }
        drop(self);
        Ok(out)
    }
}

/// One parsed link of [`MedusaLinks`] (its `data` is moved out). Two simple
/// sides and object (or no) data: the shape's link is looked up once;
/// anything else takes the JSON path and its errors.
fn resolve_medusa(
    graph: &LinkGraph,
    item: &mut MedusaLink,
    cache: &mut Vec<(Shape, String, bool)>,
) -> Result<LinkValue, Error> {
    if let [
        (name_a, MedusaSide::Key { key: key_a, .. }),
        (name_b, MedusaSide::Key { key: key_b, .. }),
    ] = item.sides.as_slice()
        && matches!(item.data, None | Some(Value::Null) | Some(Value::Object(_)))
        && let Some(i) = cache.iter().position(|(s, _, _)| {
            s.0 == **name_a && s.1 == **key_a && s.2 == **name_b && s.3 == **key_b
        })
    {
        // Moved: parsed in batch order, the ids already lie side by side.
        let mut sides = item.sides.iter_mut().map(|(_, s)| match s {
            MedusaSide::Key { id, .. } => std::mem::take(id),
            MedusaSide::Other(_) => String::new(),
        });
        let (id_a, id_b) = (
            sides.next().unwrap_or_default(),
            sides.next().unwrap_or_default(),
        );
        let data = match item.data.take() {
            Some(Value::Object(d)) => d,
            _ => Map::new(),
        };
        let (_, link, a_is_left) = &cache[i];
        let (left, right) = if *a_is_left {
            (id_a, id_b)
        } else {
            (id_b, id_a)
        };
        return Ok(LinkValue::new(link.clone(), left, right, data));
    }
    resolve_owned(graph, &mut item.to_value(), cache)
}
