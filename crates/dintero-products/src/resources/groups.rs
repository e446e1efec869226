//! Product groups: `client.groups()`.

use super::{body_id, limit};
use crate::client::Client;
use crate::error::{InvalidInput, Result};
use crate::ids::{Cursor, GroupId, IntoChecked, PageSize};
use crate::pagination::{ListOperation, ListRequest, Page};
use crate::transport::Operation;
use dintero_products_client::types;
use futures::future::BoxFuture;

/// A product group, as the API returns it.
pub type Group = types::GroupResponse;

const LIST: Operation = Operation {
    name: "list_groups",
    idempotent: true,
};
const GET: Operation = Operation {
    name: "get_group",
    idempotent: true,
};
const CREATE: Operation = Operation {
    name: "create_group",
    idempotent: false,
};
const UPDATE: Operation = Operation {
    name: "update_group",
    idempotent: true,
};
const DELETE: Operation = Operation {
    name: "delete_group",
    idempotent: true,
};

/// The account's product groups; see [`Client::groups`].
#[derive(Debug, Clone)]
pub struct Groups {
    client: Client,
}

impl Groups {
    pub(crate) fn new(client: Client) -> Self {
        Self { client }
    }

    /// Lists the groups; [`group_id`](ListRequest::group_id) filters them.
    pub fn list(&self) -> ListRequest<ListGroups> {
        ListRequest::new(self.client.clone(), ListGroups::default())
    }

    /// Gets one group.
    pub async fn get<I: IntoChecked<GroupId>>(&self, id: I) -> Result<Group> {
        let id = id.into_checked()?;
        let c = &self.client;
        c.call(GET, || {
            c.raw()
                .get_group()
                .aid(c.account_id().as_str())
                .group_id(id.as_str())
                .send()
        })
        .await
    }

    /// Creates a group.
    ///
    /// ```no_run
    /// # async fn run(client: dintero_products::Client) -> dintero_products::Result<()> {
    /// use dintero_products::NewGroup;
    ///
    /// let group = client.groups().create(NewGroup::new("Møbel").id("B1")).await?;
    /// assert_eq!(group.group_id.as_deref(), Some("B1"));
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, group: NewGroup) -> Result<Group> {
        let body = group.into_body()?;
        let c = &self.client;
        c.call(CREATE, || {
            c.raw()
                .create_group()
                .aid(c.account_id().as_str())
                .body(body.clone())
                .send()
        })
        .await
    }

    /// Replaces a group's writable fields.
    pub async fn update<I: IntoChecked<GroupId>>(
        &self,
        id: I,
        update: GroupUpdate,
    ) -> Result<Group> {
        let id = id.into_checked()?;
        let body = update.into_body();
        let c = &self.client;
        c.call(UPDATE, || {
            c.raw()
                .update_group()
                .aid(c.account_id().as_str())
                .group_id(id.as_str())
                .body(body.clone())
                .send()
        })
        .await
    }

    /// Deletes a group and returns it as it was.
    pub async fn delete<I: IntoChecked<GroupId>>(&self, id: I) -> Result<Group> {
        let id = id.into_checked()?;
        let c = &self.client;
        c.call(DELETE, || {
            c.raw()
                .delete_group()
                .aid(c.account_id().as_str())
                .group_id(id.as_str())
                .send()
        })
        .await
    }
}

/// The groups list and its filter.
#[derive(Debug, Clone, Default)]
pub struct ListGroups {
    group_id: Option<Result<GroupId, InvalidInput>>,
}

impl ListRequest<ListGroups> {
    /// Only the group with this id.
    pub fn group_id<I: IntoChecked<GroupId>>(mut self, id: I) -> Self {
        self.op.group_id = Some(id.into_checked());
        self
    }
}

impl ListOperation for ListGroups {
    type Item = Group;

    fn fetch_page<'a>(
        &'a self,
        c: &'a Client,
        size: Option<PageSize>,
        cursor: Option<&'a Cursor>,
    ) -> BoxFuture<'a, Result<Page<Group>>> {
        Box::pin(async move {
            let group_id = self.group_id.clone().transpose()?;
            let list = c
                .call(LIST, || {
                    let mut request = c.raw().list_groups().aid(c.account_id().as_str());
                    if let Some(size) = size {
                        request = request.limit(limit(size));
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
            Ok(Page::new(list.groups, list.starting_after))
        })
    }
}

/// A group to create.
#[derive(Debug, Clone)]
#[must_use]
pub struct NewGroup {
    name: String,
    id: Option<Result<GroupId, InvalidInput>>,
}

impl NewGroup {
    /// A group with this name; Dintero generates its id.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            id: None,
        }
    }

    /// Chooses the group's id instead of letting Dintero generate one.
    pub fn id<I: IntoChecked<GroupId>>(mut self, id: I) -> Self {
        self.id = Some(id.into_checked());
        self
    }

    fn into_body(self) -> Result<types::CreateGroupBody> {
        let group_id = match self.id.transpose()? {
            Some(id) => Some(body_id("group id", id.as_str())?),
            None => None,
        };
        Ok(types::CreateGroupBody {
            group_id,
            group_name: Some(self.name),
        })
    }
}

/// New values for a group's writable fields.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct GroupUpdate {
    name: Option<String>,
}

impl GroupUpdate {
    /// An update that changes nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A new name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    fn into_body(self) -> types::Group {
        types::Group {
            group_id: None,
            group_name: self.name,
        }
    }
}
