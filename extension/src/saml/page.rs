//! `saml.html`: the role chooser that opens after an identity provider's SAML sign-in.
//! One checkbox per role (`input[data-role-arn="ARN"]`), `#open-roles` opens the checked
//! ones; each row then carries `data-state="opened"` or `"failed"`, and failures are also in
//! the `role="alert"` element.

use std::cell::RefCell;
use std::rc::Rc;

use roleport_protocol::{ProtocolError, SamlRoleList};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Document, Element, HtmlInputElement};

use crate::messages::{PopupReply, PopupRequest, SamlOutcome};
use crate::popup::app::ask;

struct Page {
    document: Document,
    status: Element,
    alert: Element,
    list: Element,
    button: Element,
    /// The sign-in shown, once the background answered.
    shown: RefCell<Option<Shown>>,
}

struct Shown {
    handle: String,
    rows: Vec<(String, HtmlInputElement, Element)>,
}

/// Builds the page in `#app` and asks the background for the sign-in its URL names.
pub fn start() -> Result<(), JsValue> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("the page has no document"))?;
    let root = document
        .get_element_by_id("app")
        .ok_or_else(|| JsValue::from_str("saml.html has no #app"))?;
    let key = document
        .url()?
        .split_once('#')
        .map(|(_, k)| k.to_owned())
        .unwrap_or_default();
    let page = Rc::new(Page::mount(document, &root)?);
    let on_click = {
        let page = page.clone();
        Closure::<dyn FnMut()>::new(move || open_checked(page.clone()))
    };
    page.button
        .add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref())?;
    // The page lives as long as its listener.
    on_click.forget();
    spawn_local(async move {
        let answer: Result<SamlRoleList, ProtocolError> =
            ask(&PopupRequest::SamlPending { key }).await;
        let shown = match answer {
            Ok(list) => page.show(&list),
            Err(e) => {
                page.status.set_text_content(Some("No roles to open."));
                page.show_error(&e)
            }
        };
        if let Err(e) = shown {
            crate::log::warn(&format!("cannot draw the roles: {e:?}"));
        }
    });
    Ok(())
}

impl Page {
    fn mount(document: Document, root: &Element) -> Result<Page, JsValue> {
        let heading = document.create_element("h1")?;
        heading.set_text_content(Some("Open AWS roles"));
        let status = document.create_element("p")?;
        status.set_class_name("status");
        status.set_attribute("role", "status")?;
        status.set_text_content(Some("Reading the sign-in…"));
        let alert = document.create_element("div")?;
        alert.set_class_name("alert-slot");
        let list = document.create_element("ul")?;
        list.set_class_name("saml-roles");
        list.set_attribute("aria-label", "Roles of this sign-in")?;
        let button = document.create_element("button")?;
        button.set_id("open-roles");
        button.set_text_content(Some("Open selected roles"));
        button.set_attribute("disabled", "")?;
        for child in [&heading, &status, &alert, &list, &button] {
            root.append_child(child)?;
        }
        Ok(Page {
            document,
            status,
            alert,
            list,
            button,
            shown: RefCell::new(None),
        })
    }

    fn show(&self, list: &SamlRoleList) -> Result<(), JsValue> {
        let who = list
            .session_name
            .as_deref()
            .map(|n| format!(" as {n}"))
            .unwrap_or_default();
        let until = list
            .expires_at
            .as_deref()
            .map(|t| format!(" Open them before {t}."))
            .unwrap_or_default();
        self.status.set_text_content(Some(&format!(
            "Signed in{who}: {} roles. Each opens in a container / tab group of its own.{until}",
            list.roles.len()
        )));
        let mut rows = Vec::with_capacity(list.roles.len());
        for role in &list.roles {
            let row = self.document.create_element("li")?;
            row.set_class_name("saml-role");
            let label = self.document.create_element("label")?;
            let input: HtmlInputElement = self.document.create_element("input")?.dyn_into()?;
            input.set_type("checkbox");
            input.set_attribute("data-role-arn", &role.role_arn)?;
            // One role: chosen already, as AWS's own page signs in to it directly.
            input.set_checked(list.roles.len() == 1);
            let name = self.document.create_element("span")?;
            name.set_class_name("name");
            name.set_text_content(Some(&role.role));
            let account = self.document.create_element("span")?;
            account.set_class_name("meta");
            account.set_text_content(Some(&format!(" {}", role.account_id)));
            label.append_child(&input)?;
            label.append_child(&name)?;
            label.append_child(&account)?;
            let result = self.document.create_element("span")?;
            result.set_class_name("result");
            row.append_child(&label)?;
            row.append_child(&result)?;
            self.list.append_child(&row)?;
            rows.push((role.role_arn.clone(), input, row));
        }
        self.button.remove_attribute("disabled")?;
        *self.shown.borrow_mut() = Some(Shown {
            handle: list.handle.clone(),
            rows,
        });
        Ok(())
    }

    fn show_error(&self, error: &ProtocolError) -> Result<(), JsValue> {
        let alert = self.document.create_element("div")?;
        alert.set_attribute("role", "alert")?;
        alert.set_class_name("alert");
        alert.set_attribute("data-code", error.code.as_str())?;
        alert.set_text_content(Some(&format!("{} {}", error.message, error.hint)));
        self.alert.append_child(&alert)?;
        Ok(())
    }

    fn show_outcomes(&self, outcomes: &[SamlOutcome]) -> Result<(), JsValue> {
        let shown = self.shown.borrow();
        let Some(shown) = shown.as_ref() else {
            return Ok(());
        };
        for outcome in outcomes {
            let Some((_, _, row)) = shown
                .rows
                .iter()
                .find(|(arn, _, _)| *arn == outcome.role_arn)
            else {
                continue;
            };
            let result = row.query_selector(".result")?;
            match &outcome.reply {
                PopupReply::Ok(tab) => {
                    row.set_attribute("data-state", "opened")?;
                    if let Some(r) = result {
                        r.set_text_content(Some(&format!(" opened in {}", tab.profile)));
                    }
                }
                PopupReply::Err(e) => {
                    row.set_attribute("data-state", "failed")?;
                    if let Some(r) = result {
                        r.set_text_content(Some(&format!(" {}", e.code)));
                    }
                    self.show_error(e)?;
                }
            }
        }
        Ok(())
    }
}

/// `#open-roles`: the checked roles, opened by the background.
fn open_checked(page: Rc<Page>) {
    let request = {
        let shown = page.shown.borrow();
        let Some(shown) = shown.as_ref() else {
            return;
        };
        let roles: Vec<String> = shown
            .rows
            .iter()
            .filter(|(_, input, _)| input.checked())
            .map(|(arn, _, _)| arn.clone())
            .collect();
        if roles.is_empty() {
            page.status
                .set_text_content(Some("Choose at least one role."));
            return;
        }
        PopupRequest::SamlOpen {
            handle: shown.handle.clone(),
            roles,
        }
    };
    page.alert.set_text_content(None);
    let _ = page.button.set_attribute("disabled", "");
    page.status.set_text_content(Some("Signing in…"));
    spawn_local(async move {
        let answer: Result<Vec<SamlOutcome>, ProtocolError> = ask(&request).await;
        let drawn = match &answer {
            Ok(outcomes) => {
                let opened = outcomes
                    .iter()
                    .filter(|o| matches!(o.reply, PopupReply::Ok(_)))
                    .count();
                page.status
                    .set_text_content(Some(&format!("Opened {opened} of {}.", outcomes.len())));
                page.show_outcomes(outcomes)
            }
            Err(e) => {
                page.status.set_text_content(Some("Nothing opened."));
                page.show_error(e)
            }
        };
        let _ = page.button.remove_attribute("disabled");
        if let Err(e) = drawn {
            crate::log::warn(&format!("cannot draw the outcome: {e:?}"));
        }
    });
}
