//! Product groups: `client.groups()`.

use super::handle::{Paged, find_listed, get_one, page_of};
use super::sealed::Ops;
use super::{Resource, Written};
use crate::bulk::BulkWriter;
use crate::client::Client;
use crate::doctor::Fact;
use crate::error::{Error, InvalidInput, Result};
use crate::ids::{Cursor, GroupId, IntoChecked, PageSize};
use crate::pagination::{ListOperation, ListRequest, Page};
use chrono::{DateTime, Utc};
use dintero_products_client::types;
use futures::FutureExt;
use futures::future::BoxFuture;

super::named::named_resource! {
    what: "group",
    handle: Groups,
    object: Group wraps GroupResponse { id: group_id, name: group_name },
    id: GroupId,
    update: GroupUpdate sent as GroupFields,
    new: NewGroup sent as CreateGroupBody,
    calls: { create: create_group, update: update_group, delete: delete_group },
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

    /// One group: by its route when the facts say it exists, else the list filtered by its
    /// id, whatever else the filter matches.
    async fn find(&self, id: &GroupId) -> Result<Group> {
        let c = &self.client;
        let by_route = || async move {
            c.call(|| c.raw().get_group().aid(c.account_id()).group_id(id).send())
                .await
                .and_then(Group::from_raw)
        };
        let by_list = || {
            let list = self.list().group_id(id);
            let is_it = |g: &Group| g.id() == id.as_str();
            find_listed(c, list, Fact::FilterGroupId, "group", id.as_str(), is_it)
        };
        get_one(c, Fact::RouteGetGroup, by_route, by_list).await
    }
}

super::handle::handle_methods! {
    Groups {
        what: "group",
        handle: "groups()",
        example: r#"NewGroup::new("Møbel").id("B1")"#,
        item: Group,
        id: GroupId,
        new: NewGroup,
        update: GroupUpdate,
        get: "Uses Dintero's documented *Group collection* with its `group_id` filter (a get-one-group operation appears nowhere in Dintero's published reference); whatever the filter matches, only the group with exactly this id is returned. With [`ApiFacts`](crate::ApiFacts) that saw `GET .../groups/{group_id}` exist (`route.get_group`), one `GET` of that route instead; with facts that saw the filter match whole ids (`filter.group_id` `exact`), only the list's first page is read. See [`ClientBuilder::api_facts`](crate::ClientBuilder::api_facts).",
        create: "Dintero's *Create new group*",
        replace: "Dintero's *Update group* (`aid_group_put`)",
        delete: "Dintero's *Delete group*",
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
                    let mut request = c.raw().list_groups().aid(c.account_id()).page(size, cursor);
                    if let Some(id) = &group_id {
                        request = request.group_id(id.as_str());
                    }
                    request.send()
                })
                .await?;
            page_of(list.groups, list.starting_after, Group::from_raw)
        })
    }
}
