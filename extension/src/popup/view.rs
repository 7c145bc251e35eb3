//! Draws a [`Model`] into the popup's DOM. The search box is created once and never
//! redrawn (it keeps focus and caret); the status, the alert and the rows follow the model.

use std::cell::RefCell;

use roleport_protocol::{ProfileSummary, ProtocolError};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, HtmlElement, HtmlInputElement};

use super::model::{MfaPrompt, Model, PromptKind, SsoPrompt};

mod sessions;
use super::sync::SyncState;
use crate::sessions::registry::SessionState;
use crate::switch_roles::SwitchRole;

/// The popup's long-lived elements.
pub struct View {
    document: Document,
    /// The search box.
    pub search: HtmlInputElement,
    status: Element,
    alert_slot: Element,
    /// Holds the MFA form while the host waits for a code.
    pub mfa_slot: Element,
    /// Holds the IAM Identity Center sign-in button and, while it waits, the code.
    pub sso_slot: Element,
    /// Holds the "Sync SSO accounts" button and the sync's progress.
    pub sync_slot: Element,
    /// Holds the "Signed in" list: each session's countdown, Sign out and Renew buttons.
    pub sessions_slot: Element,
    /// The `role="listbox"` holding one row per visible profile.
    pub list: Element,
    /// What the rows on show show, and the "N more" note's N.
    drawn: RefCell<(Vec<RowLook>, usize)>,
}

/// Everything one row shows. Rows are drawn again only when this changes for one of them
/// (most messages change nothing in the list): a click between two equal draws then still
/// lands on the row it aimed at, and the browser's work is spared.
#[derive(PartialEq)]
struct RowLook {
    profile: ProfileSummary,
    selected: bool,
    starred: bool,
    marked: bool,
    session: Option<(Option<String>, SessionState)>,
}

impl RowLook {
    fn of(model: &Model, profile: &ProfileSummary, selected: bool) -> RowLook {
        RowLook {
            profile: profile.clone(),
            selected,
            starred: model.prefs.favourites.contains(&profile.name),
            marked: model.marked.contains(&profile.name),
            session: (model.session(&profile.name)).map(|s| (s.region.clone(), s.state)),
        }
    }
}

impl View {
    /// Builds the popup's skeleton inside `root`.
    pub fn mount(document: &Document, root: &Element) -> Result<View, JsValue> {
        let el = |tag: &str, class: &str| -> Result<Element, JsValue> {
            let e = document.create_element(tag)?;
            e.set_class_name(class);
            Ok(e)
        };
        let header = el("header", "bar")?;
        let search: HtmlInputElement = el("input", "search")?.dyn_into()?;
        search.set_type("search");
        search.set_placeholder("Search profiles");
        search.set_attribute("aria-label", "Search profiles")?;
        search.set_attribute("aria-controls", "profiles")?;
        search.set_attribute("autocomplete", "off")?;
        search.set_attribute("spellcheck", "false")?;
        header.append_child(&search)?;

        let status = el("p", "status")?;
        status.set_attribute("role", "status")?;
        let alert_slot = el("div", "alert-slot")?;
        let mfa_slot = el("div", "mfa-slot")?;
        let sso_slot = el("div", "sso-slot")?;
        let sync_slot = el("footer", "sync-slot")?;
        let sessions_slot = el("section", "sessions-slot")?;
        let list = el("ul", "profiles")?;
        list.set_id("profiles");
        list.set_attribute("role", "listbox")?;
        list.set_attribute("aria-label", "AWS profiles")?;

        // The sessions go below the rows: a session arriving (the popup polls them) must not
        // push the rows down under a click on its way.
        for child in [
            &header,
            &status,
            &alert_slot,
            &mfa_slot,
            &sso_slot,
            &list,
            &sessions_slot,
            &sync_slot,
        ] {
            root.append_child(child)?;
        }
        Ok(View {
            document: document.clone(),
            search,
            status,
            alert_slot,
            mfa_slot,
            sso_slot,
            sync_slot,
            sessions_slot,
            list,
            drawn: RefCell::default(),
        })
    }

    /// Makes the DOM show `model`.
    pub fn render(&self, model: &Model) -> Result<(), JsValue> {
        self.status.set_text_content(Some(&model.status()));
        self.render_alert(model.error.as_ref())?;
        self.render_switch_roles(model.switch_roles())?;
        self.render_mfa(model.mfa.as_ref())?;
        self.render_sso(model.sso.as_ref())?;
        self.render_sync(model)?;
        self.render_sessions(model)?;
        self.render_rows(model)?;
        self.list
            .set_attribute("aria-busy", if model.loading() { "true" } else { "false" })?;
        Ok(())
    }

    fn render_alert(&self, error: Option<&ProtocolError>) -> Result<(), JsValue> {
        self.alert_slot.set_text_content(None);
        let Some(error) = error else { return Ok(()) };
        let alert = self.element("div", "alert")?;
        alert.set_attribute("role", "alert")?;
        alert.set_attribute("data-code", error.code.as_str())?;
        let message = self.element("p", "message")?;
        self.append_rich(&message, &error.message)?;
        let hint = self.element("p", "hint")?;
        self.append_rich(&hint, &error.hint)?;
        alert.append_child(&message)?;
        alert.append_child(&hint)?;
        self.alert_slot.append_child(&alert)?;
        Ok(())
    }

    /// Without the host: AWS's Switch Role page for each remembered role profile, under the
    /// alert that says how to install the host.
    fn render_switch_roles(&self, roles: &[SwitchRole]) -> Result<(), JsValue> {
        if roles.is_empty() {
            return Ok(());
        }
        let panel = self.element("nav", "switch-roles")?;
        panel.set_attribute("aria-label", "Switch Role links")?;
        let intro = self.element("p", "hint")?;
        intro.set_text_content(Some(
            "Meanwhile, in a console you are signed in to, AWS can switch you to a role:",
        ));
        panel.append_child(&intro)?;
        let list = self.element("ul", "")?;
        for role in roles {
            let item = self.element("li", "")?;
            let link = self.element("a", "switch-role")?;
            link.set_attribute("href", &role.url())?;
            link.set_attribute("target", "_blank")?;
            link.set_attribute("rel", "noopener noreferrer")?;
            link.set_attribute("data-switch-role", &role.name)?;
            link.set_text_content(Some(&format!(
                "{} — {} · {}",
                role.name, role.account_id, role.role
            )));
            item.append_child(&link)?;
            list.append_child(&item)?;
        }
        panel.append_child(&list)?;
        self.alert_slot.append_child(&panel)?;
        Ok(())
    }

    /// The MFA form is rebuilt only for a new prompt, so typing survives other redraws.
    fn render_mfa(&self, prompt: Option<&MfaPrompt>) -> Result<(), JsValue> {
        let Some(prompt) = prompt else {
            self.mfa_slot.set_text_content(None);
            return Ok(());
        };
        let id = format!("{}:{}", prompt.profile, prompt.serial);
        let current = self.mfa_slot.first_element_child();
        if current
            .and_then(|f| f.get_attribute("data-prompt"))
            .as_deref()
            == Some(id.as_str())
        {
            return Ok(());
        }
        self.mfa_slot.set_text_content(None);
        let form = self.element("form", "mfa")?;
        form.set_attribute("data-prompt", &id)?;
        let (what, field) = match prompt.kind {
            PromptKind::MfaCode => ("MFA code", "mfa-code"),
            PromptKind::Password => ("Cognito password", "cognito-password"),
        };
        form.set_attribute("aria-label", &format!("{what} for {}", prompt.profile))?;
        let label = self.element("label", "")?;
        label.set_attribute("for", field)?;
        self.append_rich(&label, &prompt.message)?;
        let input: HtmlInputElement = self.element("input", "code")?.dyn_into()?;
        input.set_id(field);
        input.set_name(field);
        match prompt.kind {
            PromptKind::MfaCode => {
                input.set_attribute("inputmode", "numeric")?;
                input.set_attribute("autocomplete", "one-time-code")?;
                input.set_attribute("maxlength", "7")?;
                input.set_placeholder("123456");
            }
            PromptKind::Password => {
                // Never shown, and the browser may offer its saved password for the pool.
                input.set_type("password");
                input.set_attribute("autocomplete", "current-password")?;
                input.set_placeholder("Password");
            }
        }
        let submit = self.element("button", "primary")?;
        submit.set_attribute("type", "submit")?;
        submit.set_text_content(Some("Sign in"));
        let cancel = self.element("button", "cancel")?;
        cancel.set_attribute("type", "button")?;
        cancel.set_text_content(Some("Cancel"));
        let row = self.element("div", "row")?;
        for child in [input.as_ref(), &submit, &cancel] {
            row.append_child(child)?;
        }
        form.append_child(&label)?;
        form.append_child(&row)?;
        self.mfa_slot.append_child(&form)?;
        input.focus()
    }

    fn render_sso(&self, prompt: Option<&SsoPrompt>) -> Result<(), JsValue> {
        self.sso_slot.set_text_content(None);
        let Some(prompt) = prompt else { return Ok(()) };
        let panel = self.element("div", "mfa sso")?;
        panel.set_attribute("aria-label", &format!("Sign in for {}", prompt.profile))?;
        let message = self.element("p", "")?;
        self.append_rich(&message, &prompt.message)?;
        panel.append_child(&message)?;
        let row = self.element("div", "row")?;
        let button = self.element("button", "primary")?;
        button.set_attribute("type", "button")?;
        button.set_attribute("data-sso-login", &prompt.profile)?;
        button.set_text_content(Some(&format!("Sign in to {}", prompt.login)));
        if prompt.waiting {
            button.set_attribute("disabled", "")?;
        }
        let cancel = self.element("button", "cancel")?;
        cancel.set_attribute("type", "button")?;
        cancel.set_text_content(Some("Cancel"));
        row.append_child(&button)?;
        row.append_child(&cancel)?;
        panel.append_child(&row)?;
        if let Some(code) = &prompt.user_code {
            let check = self.element("p", "")?;
            check.append_child(
                &self
                    .document
                    .create_text_node("Approve it in the new tab if it shows the code "),
            )?;
            let shown = self.element("code", "user-code")?;
            shown.set_attribute("data-user-code", code)?;
            shown.set_text_content(Some(code));
            check.append_child(&shown)?;
            panel.append_child(&check)?;
        }
        self.sso_slot.append_child(&panel)?;
        Ok(())
    }

    /// The sync button, shown once a profile uses IAM Identity Center, and its progress.
    fn render_sync(&self, model: &Model) -> Result<(), JsValue> {
        self.sync_slot.set_text_content(None);
        if !model.has_sso() && model.sync == SyncState::Idle {
            return Ok(());
        }
        let button = self.element("button", "sync")?;
        button.set_attribute("type", "button")?;
        button.set_attribute("data-sso-sync", "")?;
        button.set_attribute(
            "title",
            "List every account and role your IAM Identity Center sign-ins reach",
        )?;
        button.set_text_content(Some("Sync SSO accounts"));
        if model.sync.running() {
            button.set_attribute("disabled", "")?;
            button.set_attribute("aria-busy", "true")?;
        }
        self.sync_slot.append_child(&button)?;
        if let Some(text) = model.sync.text() {
            let line = self.element("p", "sync-status")?;
            line.set_attribute("role", "status")?;
            line.set_attribute("data-sync-status", "")?;
            line.set_text_content(Some(&text));
            self.sync_slot.append_child(&line)?;
        }
        Ok(())
    }

    fn render_rows(&self, model: &Model) -> Result<(), JsValue> {
        let visible = model.visible();
        let looks = (visible.iter().enumerate())
            .map(|(index, profile)| RowLook::of(model, profile, index == model.selected))
            .collect();
        let now = (looks, model.matches().saturating_sub(visible.len()));
        if *self.drawn.borrow() == now {
            return Ok(());
        }
        self.list.set_text_content(None);
        for (index, look) in now.0.iter().enumerate() {
            let row = self.row(&look.profile, look.selected, look.starred)?;
            if look.marked {
                row.set_attribute("data-marked", "true")?;
                row.set_attribute("aria-checked", "true")?;
            }
            self.mark_session(&row, &look.profile, model)?;
            row.set_id(&format!("profile-{index}"));
            self.list.append_child(&row)?;
        }
        let more = now.1;
        if more > 0 {
            let note = self.element("li", "more")?;
            note.set_attribute("role", "presentation")?;
            note.set_attribute("data-more", &more.to_string())?;
            note.set_text_content(Some(&format!("{more} more: type to narrow")));
            self.list.append_child(&note)?;
        }
        match visible.get(model.selected) {
            Some(_) => self.search.set_attribute(
                "aria-activedescendant",
                &format!("profile-{}", model.selected),
            )?,
            None => self.search.remove_attribute("aria-activedescendant")?,
        }
        *self.drawn.borrow_mut() = now;
        Ok(())
    }

    fn row(
        &self,
        profile: &ProfileSummary,
        selected: bool,
        starred: bool,
    ) -> Result<Element, JsValue> {
        let row = self.element("li", "profile")?;
        row.set_attribute("role", "option")?;
        row.set_attribute("data-profile", &profile.name)?;
        row.set_attribute("aria-selected", if selected { "true" } else { "false" })?;
        row.set_attribute("title", &format!("Open the console of {}", profile.name))?;

        let swatch: HtmlElement = self.element("span", "swatch")?.dyn_into()?;
        swatch
            .style()
            .set_property("background-color", profile.appearance.color.css())?;
        swatch.set_attribute("aria-hidden", "true")?;
        let text = self.element("span", "text")?;
        let name = self.element("span", "name")?;
        name.set_text_content(Some(&profile.name));
        text.append_child(&name)?;
        if let Some(label) = &profile.appearance.label {
            // The colour rules' badge ("PROD"), in the profile's colour.
            let badge: HtmlElement = self.element("span", "label")?.dyn_into()?;
            badge.set_attribute("data-label", label)?;
            badge.set_text_content(Some(label));
            badge
                .style()
                .set_property("background-color", profile.appearance.color.css())?;
            name.append_child(&badge)?;
        }
        let details = details(profile);
        if !details.is_empty() {
            let meta = self.element("span", "meta")?;
            meta.set_text_content(Some(&details));
            text.append_child(&meta)?;
        }
        let star = self.element("button", "star")?;
        star.set_attribute("type", "button")?;
        star.set_attribute("data-star", &profile.name)?;
        star.set_attribute("aria-pressed", if starred { "true" } else { "false" })?;
        star.set_attribute("aria-label", &format!("Pin {} on top", profile.name))?;
        star.set_attribute("tabindex", "-1")?;
        star.set_text_content(Some(if starred { "★" } else { "☆" }));
        row.append_child(&swatch)?;
        row.append_child(&text)?;
        row.append_child(&star)?;
        Ok(row)
    }

    /// Appends `text`, with `backticked` parts as `<code>` (hints name commands that way).
    fn append_rich(&self, parent: &Element, text: &str) -> Result<(), JsValue> {
        for (is_code, part) in segments(text) {
            if is_code {
                let code = self.element("code", "")?;
                code.set_text_content(Some(part));
                parent.append_child(&code)?;
            } else {
                parent.append_child(&self.document.create_text_node(part))?;
            }
        }
        Ok(())
    }

    fn element(&self, tag: &str, class: &str) -> Result<Element, JsValue> {
        let e = self.document.create_element(tag)?;
        if !class.is_empty() {
            e.set_class_name(class);
        }
        Ok(e)
    }
}

/// The secondary line of a row: account name and id, and role, when known.
pub fn details(profile: &ProfileSummary) -> String {
    [
        profile.account_name.as_deref(),
        profile.account_id.as_deref(),
        profile.role.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ")
}

/// Splits `text` at backticks: `(true, part)` for the parts that were inside them.
pub fn segments(text: &str) -> Vec<(bool, &str)> {
    text.split('`')
        .enumerate()
        .map(|(i, part)| (i % 2 == 1, part))
        .filter(|(_, part)| !part.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use roleport_protocol::{Appearance, ProfileKind};

    #[test]
    fn commands_in_hints_become_code() {
        assert_eq!(
            segments("Install the host: run `roleport host install`"),
            [
                (false, "Install the host: run "),
                (true, "roleport host install")
            ]
        );
        assert_eq!(segments("no code"), [(false, "no code")]);
    }

    #[test]
    fn details_show_what_is_known() {
        let mut p = ProfileSummary {
            name: "prod".into(),
            kind: ProfileKind::AssumeRole,
            account_id: Some("123456789012".into()),
            role: Some("Admin".into()),
            region: None,
            account_name: None,
            discovered: false,
            tags: Vec::new(),
            appearance: Appearance::default_for("prod"),
        };
        assert_eq!(details(&p), "123456789012 · Admin");
        p.role = None;
        assert_eq!(details(&p), "123456789012");
        p.account_id = None;
        assert_eq!(details(&p), "");
    }
}
