//! Catalogs and groups have one shape: an id and a name. This macro writes, for one of them, the
//! object the API returns, its update and its create, and its [`Ops`](super::sealed::Ops) (the
//! generated calls differ only in their names), so that the two cannot drift apart. What
//! differs (how one is found, the list filters, the docs of the handle) stays in each
//! resource's module.

/// Writes `$Object` (wrapping the generated `types::$Raw`), `$Update` and `$New` for a resource
/// whose writable field is its name, and `$Handle`'s `Resource` and `Ops`. The handle has a
/// `client` field and a `find(&self, id)` that gets one object.
macro_rules! named_resource {
    (
        what: $what:literal,
        handle: $Handle:ident,
        object: $Object:ident wraps $Raw:ident { id: $id_field:ident, name: $name_field:ident },
        id: $Id:ident,
        update: $Update:ident sent as $UpdateBody:ident,
        new: $New:ident sent as $NewBody:ident,
        calls: { create: $create:ident, update: $update:ident, delete: $delete:ident },
        name_doc: $name_doc:literal $(,)?
    ) => {
        impl Resource for $Handle {
            type Item = $Object;
            type Id = $Id;
            type New = $New;
            type Update = $Update;
        }

        impl Ops for $Handle {
            const WHAT: &'static str = $what;
            const ID_WHAT: &'static str = concat!($what, " id");

            fn client(&self) -> &Client {
                &self.client
            }

            fn with_client(&self, client: Client) -> Self {
                Self { client }
            }

            fn get_item<'a>(&'a self, id: &'a $Id) -> BoxFuture<'a, Result<$Object>> {
                self.find(id).boxed()
            }

            fn create_item(&self, new: $New) -> BoxFuture<'_, Result<$Object>> {
                async move {
                    let body = types::$NewBody {
                        $id_field: new.id.transpose()?,
                        $name_field: new.fields.name,
                    };
                    let c = &self.client;
                    c.call(|| c.raw().$create().aid(c.account_id()).body(body.clone()).send())
                        .await
                        .and_then($Object::from_raw)
                }
                .boxed()
            }

            fn replace_item<'a>(
                &'a self,
                id: &'a $Id,
                update: $Update,
            ) -> BoxFuture<'a, Result<$Object>> {
                async move {
                    let body = types::$UpdateBody {
                        $id_field: None,
                        $name_field: update.name,
                    };
                    let c = &self.client;
                    c.call(|| {
                        let request = c.raw().$update().aid(c.account_id()).$id_field(id);
                        request.body(body.clone()).send()
                    })
                    .await
                    .and_then($Object::from_raw)
                }
                .boxed()
            }

            fn delete_item<'a>(&'a self, id: &'a $Id) -> BoxFuture<'a, Result<$Object>> {
                async move {
                    let c = &self.client;
                    c.call(|| c.raw().$delete().aid(c.account_id()).$id_field(id).send())
                        .await
                        .and_then($Object::from_raw)
                }
                .boxed()
            }
        }

        #[doc = concat!("A ", $what, " as Dintero holds it; [`raw`](Self::raw) has everything the API returned.")]
        #[derive(Debug, Clone, PartialEq)]
        pub struct $Object {
            // The id is always present: `from_raw` checks it, and nothing else builds one.
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
                if raw.$id_field.is_none() {
                    return Err(Error::Incomplete {
                        what: $what,
                        missing: stringify!($id_field),
                    });
                }
                Ok(Self { raw })
            }

            #[doc = concat!("The ", $what, "'s id.")]
            pub fn id(&self) -> &str {
                self.raw.$id_field.as_deref().unwrap_or_default()
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
                    id: Some($Id::new(self.id())),
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

            #[doc = concat!("The ", $what, "'s id, if one was set and is valid. (Named `get_` because")]
            /// [`id`](Self::id) is the setter, as in the AWS SDK's builders.
            pub fn get_id(&self) -> Option<&$Id> {
                self.id.as_ref()?.as_ref().ok()
            }

            /// The name.
            pub fn name(&self) -> Option<&str> {
                self.fields.name.as_deref()
            }

        }

        impl super::sealed::Object for $Object {
            type Update = $Update;
            fn writable(&self, _: &Client) -> $Update {
                $Object::to_update(self)
            }
        }

        impl super::sealed::Body for $New {
            type Id = $Id;
            type Update = $Update;
            type Item = $Object;
            fn checked_id(&self) -> Result<Option<$Id>> {
                Ok(self.id.clone().transpose()?)
            }
            fn valid_id(&self) -> Option<$Id> {
                self.get_id().cloned()
            }
            fn merge_into(&self, update: &mut $Update) {
                update.merge(&self.fields);
            }
        }
    };
}

pub(crate) use named_resource;
