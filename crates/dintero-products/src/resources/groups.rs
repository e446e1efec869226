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

super::named::named_resource! {
    what: "group",
    object: Group wraps GroupResponse { id: group_id, name: group_name },
    id: GroupId,
    update: GroupUpdate,
    new: NewGroup { id: group_id, name: group_name },
    name_doc: "The group's name",
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

    fn checked_id(new: &NewGroup) -> Result<Option<GroupId>> {
        new.checked_id()
    }

    fn id_of(new: &NewGroup) -> Option<GroupId> {
        new.group_id().cloned()
    }

    fn merge(update: &mut GroupUpdate, new: &NewGroup) {
        update.merge(&new.fields);
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

impl NewGroup {
    fn into_body(self) -> Result<types::CreateGroupBody> {
        Ok(types::CreateGroupBody {
            group_id: self.id.transpose()?,
            group_name: self.fields.name,
        })
    }
}
