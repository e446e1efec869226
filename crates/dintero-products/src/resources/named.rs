//! Catalogs and groups have one shape: an id and a name. This macro writes, for one of them, the
//! object the API returns, its update and its create, and the parts of its [`Ops`](super::sealed::Ops)
//! that only depend on that shape, so that the two cannot drift apart. What differs (the
//! generated calls, the list filters, the docs of the handle) stays in each resource's module.

/// Writes `$Object` (wrapping the generated `types::$Raw`), `$Update` and `$New` for a resource
/// whose writable field is its name.
macro_rules! named_resource {
    (
        what: $what:literal,
        object: $Object:ident wraps $Raw:ident { id: $id_field:ident, name: $name_field:ident },
        id: $Id:ident,
        update: $Update:ident,
        new: $New:ident { id: $id_getter:ident, name: $name_getter:ident },
        name_doc: $name_doc:literal $(,)?
    ) => {
        #[doc = concat!("A ", $what, " as Dintero holds it; [`raw`](Self::raw) has everything the API returned.")]
        #[derive(Debug, Clone, PartialEq)]
        pub struct $Object {
            id: String,
            raw: types::$Raw,
        }

        #[doc = concat!("What the API returns, as the SDK's type: for a `", stringify!($Object), "` read from")]
        /// elsewhere, such as a file of the API's JSON. Fails when the id is missing.
        impl TryFrom<types::$Raw> for $Object {
            type Error = Error;
            fn try_from(raw: types::$Raw) -> Result<Self> {
                Self::from_raw(raw)
            }
        }

        impl $Object {
            /// Wraps what the API returned; without its id the object is not usable.
            pub(crate) fn from_raw(raw: types::$Raw) -> Result<Self> {
                let id = raw.$id_field.clone().ok_or(Error::Incomplete {
                    what: $what,
                    missing: stringify!($id_field),
                })?;
                Ok(Self { id, raw })
            }

            #[doc = concat!("The ", $what, "'s id.")]
            pub fn id(&self) -> &str {
                &self.id
            }

            #[doc = concat!($name_doc, " (empty when it has none).")]
            pub fn name(&self) -> &str {
                self.raw.$name_field.as_deref().unwrap_or_default()
            }

            #[doc = concat!("When the ", $what, " was last changed.")]
            pub fn updated_at(&self) -> Option<DateTime<Utc>> {
                self.raw.updated_at
            }

            /// Everything the API returned, as the generated type.
            pub fn raw(&self) -> &types::$Raw {
                &self.raw
            }

            /// Everything the API returned, as the generated type.
            pub fn into_raw(self) -> types::$Raw {
                self.raw
            }

            #[doc = concat!("The ", $what, "'s writable fields as an update that keeps them all.")]
            pub fn to_update(&self) -> $Update {
                $Update {
                    name: self.raw.$name_field.clone(),
                }
            }

            #[doc = concat!("The ", $what, " as a create that would make it again, id included.")]
            pub fn to_new(&self) -> $New {
                $New {
                    id: Some($Id::new(self.id.as_str())),
                    fields: self.to_update(),
                }
            }
        }

        #[doc = concat!("A ", $what, "'s writable fields: the body of a replace.")]
        #[derive(Debug, Clone, Default, PartialEq)]
        #[non_exhaustive]
        #[must_use]
        pub struct $Update {
            #[doc = concat!($name_doc, ".")]
            pub name: Option<String>,
        }

        impl $Update {
            /// An update that sets nothing yet.
            pub fn new() -> Self {
                Self::default()
            }

            /// A new name.
            pub fn name(mut self, name: impl Into<String>) -> Self {
                self.name = Some(name.into());
                self
            }

            /// Sets every field `given` sets; the others stay.
            pub fn merge(&mut self, given: &$Update) {
                if given.name.is_some() {
                    self.name.clone_from(&given.name);
                }
            }
        }

        #[doc = concat!("A ", $what, " to create.")]
        #[derive(Debug, Clone, PartialEq)]
        #[must_use]
        pub struct $New {
            id: Option<Result<$Id, InvalidInput>>,
            fields: $Update,
        }

        impl $New {
            #[doc = concat!("A ", $what, " with this name; Dintero generates its id unless [`id`](Self::id) sets one.")]
            pub fn new(name: impl Into<String>) -> Self {
                Self {
                    id: None,
                    fields: $Update::new().name(name),
                }
            }

            #[doc = concat!("Chooses the ", $what, "'s id instead of letting Dintero generate one.")]
            pub fn id<I: IntoChecked<$Id>>(mut self, id: I) -> Self {
                self.id = Some(id.into_checked());
                self
            }

            #[doc = concat!("The ", $what, "'s id, if one was set and is valid.")]
            pub fn $id_getter(&self) -> Option<&$Id> {
                self.id.as_ref()?.as_ref().ok()
            }

            /// The name.
            pub fn $name_getter(&self) -> Option<&str> {
                self.fields.name.as_deref()
            }

            /// The id asked for (checked).
            fn checked_id(&self) -> Result<Option<$Id>> {
                Ok(self.id.clone().transpose()?)
            }
        }
    };
}

pub(crate) use named_resource;
