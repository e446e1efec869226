//! Product groups: `client.groups()`.

use super::sealed::Ops;
use super::{Resource, Written};
use crate::bulk::BulkWriter;
use crate::client::Client;
use crate::error::{Error, InvalidInput, Result};
use crate::ids::{Cursor, GroupId, IntoChecked, PageSize};
use crate::pagination::{ListOperation, ListRequest, Page};
use chrono::{DateTime, Utc};
use dintero_products_client::types;
use futures::FutureExt;
use futures::future::BoxFuture;

/// A product group as Dintero holds it; [`raw`](Self::raw) has everything the API returned.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    id: String,
    raw: types::GroupResponse,
}

/// What the API returns, as the SDK's type: for a `Group` read from elsewhere, such as a file of
/// the API's JSON. Fails when the id is missing.
impl TryFrom<types::GroupResponse> for Group {
    type Error = Error;
    fn try_from(raw: types::GroupResponse) -> Result<Self> {
        Self::from_raw(raw)
    }
}

impl Group {
    /// Wraps what the API returned; a group without its `group_id` is not usable.
    pub(crate) fn from_raw(raw: types::GroupResponse) -> Result<Self> {
        let id = raw.group_id.clone().ok_or(Error::Incomplete {
            what: "group",
            missing: "group_id",
        })?;
        Ok(Self { id, raw })
    }

    /// The group's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The group's name (empty when it has none).
    pub fn name(&self) -> &str {
        self.raw.group_name.as_deref().unwrap_or_default()
    }

    /// When the group was last changed.
    pub fn updated_at(&self) -> Option<DateTime<Utc>> {
        self.raw.updated_at
    }

    /// Everything the API returned, as the generated type.
    pub fn raw(&self) -> &types::GroupResponse {
        &self.raw
    }

    /// Everything the API returned, as the generated type.
    pub fn into_raw(self) -> types::GroupResponse {
        self.raw
    }

    /// The group's writable fields as an update that keeps them all.
    pub fn to_update(&self) -> GroupUpdate {
        GroupUpdate {
            name: self.raw.group_name.clone(),
        }
    }

    /// The group as a create that would make it again, id included.
    pub fn to_new(&self) -> NewGroup {
        NewGroup {
            id: Some(GroupId::new(self.id.as_str())),
            fields: self.to_update(),
        }
    }
}

/// The account's product groups; see [`Client::groups`].
#[derive(Debug, Clone)]
pub struct Groups {
    client: Client,
}

impl Groups {
    pub(crate) fn new(client: Client) -> Self {
        Self { client }
    }

    /// Lists the groups: Dintero's *Group collection*; [`group_id`](ListRequest::group_id)
    /// filters them.
    pub fn list(&self) -> ListRequest<ListGroups> {
        ListRequest::new(self.client.clone(), ListGroups::default())
    }

    /// Gets one group, or [`Error::NotFound`].
    ///
    /// Uses Dintero's documented *Group collection* with its `group_id` filter (a
    /// get-one-group operation appears nowhere in Dintero's published reference); whatever the
    /// filter matches, only the group with exactly this id is returned. (The generated
    /// `raw().get_group()` still calls `GET .../groups/{group_id}`, an unseen route.)
    pub async fn get<I: IntoChecked<GroupId>>(&self, id: I) -> Result<Group> {
        self.get_item(&id.into_checked()?).await
    }

    /// Creates a group: Dintero's *Create new group*.
    ///
    /// ```no_run
    /// # async fn run(client: dintero_products::Client) -> dintero_products::Result<()> {
    /// use dintero_products::NewGroup;
    ///
    /// let group = client.groups().create(NewGroup::new("Møbel").id("B1")).await?;
    /// assert_eq!(group.id(), "B1");
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, group: NewGroup) -> Result<Group> {
        self.create_item(group).await
    }

    /// Creates a group exactly once, even when an attempt's outcome is unknown; see
    /// [`Products::create_once`](crate::Products::create_once).
    pub async fn create_once(&self, group: NewGroup) -> Result<Written<Group>> {
        super::create_once(self, group).await
    }

    /// **Replaces** a group's writable fields: Dintero's *Update group* (`aid_group_put`). A
    /// field `update` leaves unset is cleared; [`modify`](Self::modify) keeps what it does not
    /// change.
    pub async fn replace<I: IntoChecked<GroupId>>(
        &self,
        id: I,
        update: GroupUpdate,
    ) -> Result<Group> {
        self.replace_item(&id.into_checked()?, update).await
    }

    /// Reads the group, lets `change` edit its writable fields, and writes them back (nothing
    /// when nothing changed); the last writer wins, as for
    /// [`Products::modify`](crate::Products::modify).
    pub async fn modify<I: IntoChecked<GroupId>>(
        &self,
        id: I,
        change: impl FnOnce(&mut GroupUpdate),
    ) -> Result<Written<Group>> {
        super::modify(self, &id.into_checked()?, change).await
    }

    /// Creates the group, or, when its id exists, sets the fields `group` sets; see
    /// [`Products::upsert`](crate::Products::upsert) for the behaviour under concurrency.
    pub async fn upsert(&self, group: NewGroup) -> Result<Written<Group>> {
        super::upsert(self, group).await
    }

    /// Many writes to the groups as one job: bounded concurrency, a result per write, one rate
    /// limiter for the whole job; see [`BulkWriter`].
    pub fn bulk(&self) -> BulkWriter<Self> {
        BulkWriter::new(self.clone())
    }

    /// Deletes a group and returns it as it was: Dintero's *Delete group*.
    pub async fn delete<I: IntoChecked<GroupId>>(&self, id: I) -> Result<Group> {
        self.delete_item(&id.into_checked()?).await
    }
}

impl Resource for Groups {
    type Item = Group;
    type Id = GroupId;
    type New = NewGroup;
    type Update = GroupUpdate;
}

impl Ops for Groups {
    fn client(&self) -> &Client {
        &self.client
    }

    fn with_client(&self, client: Client) -> Self {
        Self { client }
    }

    const WHAT: &'static str = "group";

    fn get_item<'a>(&'a self, id: &'a GroupId) -> BoxFuture<'a, Result<Group>> {
        async move {
            self.list()
                .group_id(id)
                .find("group", id.as_str(), |g| g.id() == id.as_str())
                .await
        }
        .boxed()
    }

    fn create_item(&self, group: NewGroup) -> BoxFuture<'_, Result<Group>> {
        async move {
            let body = group.into_body()?;
            let c = &self.client;
            c.call(|| {
                c.raw()
                    .create_group()
                    .aid(c.account_id())
                    .body(body.clone())
                    .send()
            })
            .await
            .and_then(Group::from_raw)
        }
        .boxed()
    }

    fn replace_item<'a>(
        &'a self,
        id: &'a GroupId,
        update: GroupUpdate,
    ) -> BoxFuture<'a, Result<Group>> {
        async move {
            let body = types::GroupFields {
                group_id: None,
                group_name: update.name,
            };
            let c = &self.client;
            c.call(|| {
                c.raw()
                    .update_group()
                    .aid(c.account_id())
                    .group_id(id)
                    .body(body.clone())
                    .send()
            })
            .await
            .and_then(Group::from_raw)
        }
        .boxed()
    }

    fn delete_item<'a>(&'a self, id: &'a GroupId) -> BoxFuture<'a, Result<Group>> {
        async move {
            let c = &self.client;
            c.call(|| {
                c.raw()
                    .delete_group()
                    .aid(c.account_id())
                    .group_id(id)
                    .send()
            })
            .await
            .and_then(Group::from_raw)
        }
        .boxed()
    }

    fn update_of(item: &Group) -> GroupUpdate {
        item.to_update()
    }

    fn parts_of(new: &NewGroup) -> Result<(Option<GroupId>, GroupUpdate)> {
        Ok((new.id.clone().transpose()?, new.fields.clone()))
    }

    fn merge(update: &mut GroupUpdate, given: &GroupUpdate) {
        if given.name.is_some() {
            update.name.clone_from(&given.name);
        }
    }
}

/// The groups list and its filter.
#[derive(Debug, Clone, Default)]
pub struct ListGroups {
    group_id: Option<Result<GroupId, InvalidInput>>,
}

impl ListRequest<ListGroups> {
    /// Only the group with this id (the server may match more; see [`Groups::get`]).
    pub fn group_id<I: IntoChecked<GroupId>>(mut self, id: I) -> Self {
        self.op.group_id = Some(id.into_checked());
        self
    }
}

impl ListOperation for ListGroups {
    type Item = Group;
}

impl crate::pagination::sealed::FetchPage for ListGroups {
    fn fetch_page<'a>(
        &'a self,
        c: &'a Client,
        size: Option<PageSize>,
        cursor: Option<&'a Cursor>,
    ) -> BoxFuture<'a, Result<Page<Group>>> {
        Box::pin(async move {
            let group_id = self.group_id.clone().transpose()?;
            let list = c
                .call(|| {
                    let mut request = c.raw().list_groups().aid(c.account_id());
                    if let Some(size) = size {
                        request = request.limit(size.as_non_zero());
                    }
                    if let Some(cursor) = cursor {
                        request = request.starting_after(cursor.as_str());
                    }
                    if let Some(id) = &group_id {
                        request = request.group_id(id.as_str());
                    }
                    request.send()
                })
                .await?;
            let groups = list
                .groups
                .into_iter()
                .map(Group::from_raw)
                .collect::<Result<_>>()?;
            Ok(Page::new(groups, list.starting_after))
        })
    }
}

/// A group's writable fields: the body of [`Groups::replace`].
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
#[must_use]
pub struct GroupUpdate {
    /// The group's name.
    pub name: Option<String>,
}

impl GroupUpdate {
    /// An update that sets nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A new name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
}

/// A group to create.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct NewGroup {
    id: Option<Result<GroupId, InvalidInput>>,
    fields: GroupUpdate,
}

impl NewGroup {
    /// A group with this name; Dintero generates its id unless [`id`](Self::id) sets one.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            id: None,
            fields: GroupUpdate::new().name(name),
        }
    }

    /// Chooses the group's id instead of letting Dintero generate one.
    pub fn id<I: IntoChecked<GroupId>>(mut self, id: I) -> Self {
        self.id = Some(id.into_checked());
        self
    }

    /// The group's id, if one was set and is valid.
    pub fn group_id(&self) -> Option<&GroupId> {
        self.id.as_ref()?.as_ref().ok()
    }

    /// The name.
    pub fn group_name(&self) -> Option<&str> {
        self.fields.name.as_deref()
    }

    fn into_body(self) -> Result<types::CreateGroupBody> {
        Ok(types::CreateGroupBody {
            group_id: self.id.transpose()?,
            group_name: self.fields.name,
        })
    }
}
