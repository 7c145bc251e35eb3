//! `options.html` in the DOM. The rules are an `<ol id="rules">` of `li.rule[data-rule=N]`,
//! each with fields `[data-field=name|account_id|account_name|tag|regex|color|icon|label]`
//! and buttons `[data-action=up|down|remove]`; `#add-rule` adds one, `#region`,
//! `#when-open` and `#chromium-isolation` are the defaults, `#save` saves. The status is in
//! `role="status"`, failures in `role="alert"`.
//!
//! The fields are the state while the person types (nothing is redrawn under the caret);
//! they are read back into [`RuleFields`] for a structural edit (which redraws the list) and
//! for saving.

use std::cell::RefCell;
use std::rc::Rc;

use roleport_protocol::{Color, Defaults, Icon, ProtocolError, Settings, SettingsDoc};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Document, Element, HtmlInputElement, HtmlSelectElement};

use super::model::{color_name, Edit, RuleFields, WhenOpen, WHEN_OPEN_KEY};
use crate::bindings::{api, call, error_text};
use crate::isolation::SWITCH_KEY;
use crate::messages::PopupRequest;
use crate::popup::app::ask;

const TEXT_FIELDS: &[(&str, &str, &str)] = &[
    ("name", "Profile name", "prod-*"),
    ("account_id", "Account id", "1111*"),
    ("account_name", "Account name", "*Production*"),
    ("tag", "Tag", "env=prod"),
];

struct Page {
    document: Document,
    status: Element,
    alert: Element,
    rules: Element,
    region: HtmlInputElement,
    when_open: HtmlSelectElement,
    isolation: HtmlInputElement,
    /// Saving: a second click waits for the first.
    busy: RefCell<bool>,
}

/// Builds the page in `#app` and loads the settings.
pub fn start() -> Result<(), JsValue> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("the page has no document"))?;
    let root = document
        .get_element_by_id("app")
        .ok_or_else(|| JsValue::from_str("options.html has no #app"))?;
    let page = Rc::new(Page::mount(document, &root)?);
    let on_click = {
        let page = page.clone();
        Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            if let Err(e) = page.clone().clicked(&e) {
                crate::log::warn(&format!("options page: {e:?}"));
            }
        })
    };
    root.add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref())?;
    // The page lives as long as its listener.
    on_click.forget();
    spawn_local(async move {
        if let Err(e) = page.load().await {
            crate::log::warn(&format!("cannot draw the settings: {e:?}"));
        }
    });
    Ok(())
}

impl Page {
    fn mount(document: Document, root: &Element) -> Result<Page, JsValue> {
        let el = |tag: &str, class: &str| -> Result<Element, JsValue> {
            let e = document.create_element(tag)?;
            if !class.is_empty() {
                e.set_class_name(class);
            }
            Ok(e)
        };
        let heading = el("h1", "")?;
        heading.set_text_content(Some("roleport settings"));
        let status = el("p", "status")?;
        status.set_attribute("role", "status")?;
        status.set_text_content(Some("Reading the settings…"));
        let alert = el("div", "alert-slot")?;

        let rules_title = el("h2", "")?;
        rules_title.set_text_content(Some("Colour rules"));
        let intro = el("p", "hint")?;
        intro.set_text_content(Some(
            "Rules are tried in order. Each of colour, icon and label comes from the first \
             matching rule that sets it; a profile's own roleport_color, roleport_icon and \
             roleport_label in ~/.aws/config beat every rule. Every pattern given must match \
             (globs, or regular expressions when ticked); a rule with none matches every \
             profile.",
        ));
        let rules = el("ol", "rules")?;
        rules.set_id("rules");
        rules.set_attribute("aria-label", "Colour rules")?;
        let add = el("button", "")?;
        add.set_id("add-rule");
        add.set_attribute("type", "button")?;
        add.set_attribute("data-action", "add")?;
        add.set_text_content(Some("Add rule"));

        let defaults_title = el("h2", "")?;
        defaults_title.set_text_content(Some("Defaults"));
        let region: HtmlInputElement = el("input", "")?.dyn_into()?;
        region.set_id("region");
        region.set_placeholder("us-east-1");
        region.set_attribute("spellcheck", "false")?;
        let when_open: HtmlSelectElement = el("select", "")?.dyn_into()?;
        when_open.set_id("when-open");
        for (value, text) in [
            ("focus", "switches to its tab"),
            ("new_tab", "opens another tab in its container / tab group"),
        ] {
            let option = el("option", "")?;
            option.set_attribute("value", value)?;
            option.set_text_content(Some(text));
            when_open.append_child(&option)?;
        }
        let isolation: HtmlInputElement = el("input", "")?.dyn_into()?;
        isolation.set_type("checkbox");
        isolation.set_id("chromium-isolation");
        let defaults = el("div", "defaults")?;
        append(
            &defaults,
            labelled(&document, "Region of profiles without one", &region)?,
        )?;
        append(
            &defaults,
            labelled(&document, "A click on an account already open", &when_open)?,
        )?;
        append(
            &defaults,
            labelled(
                &document,
                "Chromium: a cookie jar per account (side-by-side sign-ins)",
                &isolation,
            )?,
        )?;

        let save = el("button", "primary")?;
        save.set_id("save");
        save.set_attribute("type", "button")?;
        save.set_attribute("data-action", "save")?;
        save.set_text_content(Some("Save"));

        for child in [
            &heading,
            &status,
            &alert,
            &rules_title,
            &intro,
            &rules,
            &add,
            &defaults_title,
            &defaults,
            &save,
        ] {
            root.append_child(child)?;
        }
        Ok(Page {
            document,
            status,
            alert,
            rules,
            region,
            when_open,
            isolation,
            busy: RefCell::new(false),
        })
    }

    async fn load(&self) -> Result<(), JsValue> {
        let when_open = stored(WHEN_OPEN_KEY)
            .await
            .and_then(|v| v.as_string())
            .map_or(WhenOpen::Focus, |v| WhenOpen::parse(&v));
        self.when_open.set_value(when_open.as_str());
        let isolated = stored(SWITCH_KEY).await.and_then(|v| v.as_bool());
        self.isolation.set_checked(isolated != Some(false));
        match ask::<SettingsDoc>(&PopupRequest::SettingsGet).await {
            Ok(doc) => {
                self.show(&doc)?;
                match &doc.error {
                    Some(e) => self.show_error(e)?,
                    None => self.status.set_text_content(Some(&format!(
                        "{} from {}.",
                        count(doc.settings.rules.len()),
                        doc.path
                    ))),
                }
            }
            Err(e) => {
                self.status
                    .set_text_content(Some("The settings file could not be read."));
                self.show_error(&e)?;
            }
        }
        Ok(())
    }

    fn show(&self, doc: &SettingsDoc) -> Result<(), JsValue> {
        self.region
            .set_value(doc.settings.defaults.region.as_deref().unwrap_or(""));
        let fields: Vec<RuleFields> = doc.settings.rules.iter().map(RuleFields::of).collect();
        self.draw_rules(&fields, None)
    }

    fn clicked(self: Rc<Self>, event: &web_sys::Event) -> Result<(), JsValue> {
        let Some(target) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
            return Ok(());
        };
        let Some(button) = target.closest("[data-action]")? else {
            return Ok(());
        };
        let action = button.get_attribute("data-action").unwrap_or_default();
        if action == "save" {
            if !self.busy.replace(true) {
                spawn_local(async move {
                    if let Err(e) = self.save().await {
                        crate::log::warn(&format!("cannot save: {e:?}"));
                    }
                    self.busy.replace(false);
                });
            }
            return Ok(());
        }
        let index = button
            .closest(".rule")?
            .and_then(|r| r.get_attribute("data-rule"))
            .and_then(|i| i.parse().ok());
        let Some(edit) = Edit::parse(&action, index) else {
            return Ok(());
        };
        let mut fields = self.read_rules()?;
        let focus = edit.apply(&mut fields);
        self.draw_rules(&fields, focus)
    }

    async fn save(&self) -> Result<(), JsValue> {
        self.alert.set_text_content(None);
        self.status.set_text_content(Some("Saving…"));
        let settings = Settings {
            defaults: Defaults {
                region: Some(self.region.value().trim().to_owned()).filter(|r| !r.is_empty()),
            },
            rules: self.read_rules()?.iter().map(RuleFields::rule).collect(),
        };
        let local = js_sys::Object::new();
        js_sys::Reflect::set(
            &local,
            &WHEN_OPEN_KEY.into(),
            &WhenOpen::parse(&self.when_open.value()).as_str().into(),
        )?;
        js_sys::Reflect::set(&local, &SWITCH_KEY.into(), &self.isolation.checked().into())?;
        if let Err(e) = call(api().storage().local().set(&local)).await {
            let why = error_text(&e).unwrap_or_default();
            crate::log::warn(&format!("cannot save the browser settings: {why}"));
        }
        match ask::<SettingsDoc>(&PopupRequest::SettingsPut { settings }).await {
            Ok(doc) => {
                self.show(&doc)?;
                self.status.set_text_content(Some(&format!(
                    "Saved {} to {}. Each profile takes its new look the next time it opens.",
                    count(doc.settings.rules.len()),
                    doc.path
                )));
                self.status.set_attribute("data-saved", "true")?;
            }
            Err(e) => {
                self.status.set_text_content(Some("Not saved."));
                self.status.remove_attribute("data-saved")?;
                self.show_error(&e)?;
            }
        }
        Ok(())
    }

    fn draw_rules(&self, fields: &[RuleFields], focus: Option<usize>) -> Result<(), JsValue> {
        self.rules.set_text_content(None);
        for (i, f) in fields.iter().enumerate() {
            let row = self.rule_row(i, f, fields.len())?;
            self.rules.append_child(&row)?;
            if focus == Some(i) {
                if let Some(first) = row.query_selector("input")? {
                    let _ = first.dyn_into::<web_sys::HtmlElement>()?.focus();
                }
            }
        }
        Ok(())
    }

    fn rule_row(&self, i: usize, f: &RuleFields, len: usize) -> Result<Element, JsValue> {
        let d = &self.document;
        let row = d.create_element("li")?;
        row.set_class_name("rule");
        row.set_attribute("data-rule", &i.to_string())?;
        row.set_attribute("aria-label", &format!("Rule {}", i + 1))?;
        let matchers = d.create_element("div")?;
        matchers.set_class_name("fields");
        for (field, title, example) in TEXT_FIELDS {
            let input: HtmlInputElement = d.create_element("input")?.dyn_into()?;
            input.set_attribute("data-field", field)?;
            input.set_attribute("spellcheck", "false")?;
            input.set_placeholder(example);
            input.set_value(match *field {
                "name" => &f.name,
                "account_id" => &f.account_id,
                "account_name" => &f.account_name,
                _ => &f.tag,
            });
            append(&matchers, labelled(d, title, &input)?)?;
        }
        let regex: HtmlInputElement = d.create_element("input")?.dyn_into()?;
        regex.set_type("checkbox");
        regex.set_attribute("data-field", "regex")?;
        regex.set_checked(f.regex);
        append(&matchers, labelled(d, "Regular expressions", &regex)?)?;

        let look = d.create_element("div")?;
        look.set_class_name("fields");
        let colors: Vec<&str> = Color::ALL.iter().map(|c| color_name(*c)).collect();
        let icons: Vec<&str> = Icon::ALL.iter().map(|i| i.firefox()).collect();
        append(
            &look,
            labelled(d, "Colour", &self.select("color", &colors, &f.color)?)?,
        )?;
        append(
            &look,
            labelled(d, "Icon", &self.select("icon", &icons, &f.icon)?)?,
        )?;
        let label: HtmlInputElement = d.create_element("input")?.dyn_into()?;
        label.set_attribute("data-field", "label")?;
        label.set_attribute("maxlength", "20")?;
        label.set_placeholder("PROD");
        label.set_value(&f.label);
        append(&look, labelled(d, "Label", &label)?)?;

        let actions = d.create_element("div")?;
        actions.set_class_name("actions");
        for (action, text, enabled) in [
            ("up", "Move up", i > 0),
            ("down", "Move down", i + 1 < len),
            ("remove", "Remove", true),
        ] {
            let b = d.create_element("button")?;
            b.set_attribute("type", "button")?;
            b.set_attribute("data-action", action)?;
            b.set_text_content(Some(text));
            if !enabled {
                b.set_attribute("disabled", "")?;
            }
            actions.append_child(&b)?;
        }
        row.append_child(&matchers)?;
        row.append_child(&look)?;
        row.append_child(&actions)?;
        Ok(row)
    }

    fn select(&self, field: &str, names: &[&str], current: &str) -> Result<Element, JsValue> {
        let select: HtmlSelectElement = self.document.create_element("select")?.dyn_into()?;
        select.set_attribute("data-field", field)?;
        for name in std::iter::once(&"").chain(names) {
            let option = self.document.create_element("option")?;
            option.set_attribute("value", name)?;
            option.set_text_content(Some(if name.is_empty() { "(any)" } else { name }));
            select.append_child(&option)?;
        }
        select.set_value(current);
        Ok(select.into())
    }

    /// The rules as the fields now say.
    fn read_rules(&self) -> Result<Vec<RuleFields>, JsValue> {
        let rows = self.rules.query_selector_all(".rule")?;
        let mut out = Vec::with_capacity(rows.length() as usize);
        for i in 0..rows.length() {
            let Some(row) = rows.item(i).and_then(|n| n.dyn_into::<Element>().ok()) else {
                continue;
            };
            let value = |field: &str| -> Result<String, JsValue> {
                let Some(e) = row.query_selector(&format!("[data-field={field}]"))? else {
                    return Ok(String::new());
                };
                Ok(match e.dyn_ref::<HtmlSelectElement>() {
                    Some(s) => s.value(),
                    None => e.dyn_into::<HtmlInputElement>()?.value(),
                })
            };
            let regex = row
                .query_selector("[data-field=regex]")?
                .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
                .is_some_and(|e| e.checked());
            out.push(RuleFields {
                name: value("name")?,
                account_id: value("account_id")?,
                account_name: value("account_name")?,
                tag: value("tag")?,
                regex,
                color: value("color")?,
                icon: value("icon")?,
                label: value("label")?,
            });
        }
        Ok(out)
    }

    fn show_error(&self, error: &ProtocolError) -> Result<(), JsValue> {
        self.alert.set_text_content(None);
        let alert = self.document.create_element("div")?;
        alert.set_attribute("role", "alert")?;
        alert.set_class_name("alert");
        alert.set_attribute("data-code", error.code.as_str())?;
        let message = self.document.create_element("p")?;
        message.set_class_name("message");
        message.set_text_content(Some(&error.message));
        let hint = self.document.create_element("p")?;
        hint.set_class_name("hint");
        hint.set_text_content(Some(&error.hint));
        alert.append_child(&message)?;
        alert.append_child(&hint)?;
        self.alert.append_child(&alert)?;
        Ok(())
    }
}

fn append(parent: &Element, child: Element) -> Result<(), JsValue> {
    parent.append_child(&child)?;
    Ok(())
}

/// `<label>TEXT CONTROL</label>`.
fn labelled(document: &Document, text: &str, control: &Element) -> Result<Element, JsValue> {
    let label = document.create_element("label")?;
    let span = document.create_element("span")?;
    span.set_text_content(Some(text));
    label.append_child(&span)?;
    label.append_child(control)?;
    Ok(label)
}

fn count(n: usize) -> String {
    format!("{n} rule{}", if n == 1 { "" } else { "s" })
}

/// A `storage.local` value, if set.
async fn stored(key: &str) -> Option<JsValue> {
    let all = call(api().storage().local().get(&JsValue::from_str(key)))
        .await
        .ok()?;
    let value = js_sys::Reflect::get(&all, &JsValue::from_str(key)).ok()?;
    (!value.is_undefined()).then_some(value)
}
