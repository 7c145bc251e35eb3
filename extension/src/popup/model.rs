//! The popup's state and how each message changes it. No DOM here: [`super::view`] draws a
//! [`Model`], [`super::app`] feeds it [`Msg`]s and carries out the requests it returns.

use roleport_protocol::{ErrorCode, ProfileList, ProfileSummary, ProtocolError};

use super::fuzzy;
use super::prefs::Prefs;
use crate::messages::{OpenOutcome, OpenedTab, PopupRequest};

/// Everything the popup shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Model {
    /// Profiles from the host, sorted by name.
    pub profiles: Vec<ProfileSummary>,
    /// True until the first answer to `list_profiles`.
    pub loading: bool,
    /// What the search box holds.
    pub filter: String,
    /// Index of the highlighted row among the visible ones.
    pub selected: usize,
    /// The profile being opened, if any.
    pub opening: Option<String>,
    /// The profile opened last.
    pub opened: Option<String>,
    /// What the host said about that session (e.g. its duration was capped).
    pub notices: Vec<String>,
    /// The error to show, with its hint.
    pub error: Option<ProtocolError>,
    /// The MFA code the host asked for, while the person types it.
    pub mfa: Option<MfaPrompt>,
    /// Profiles marked to open together, in the order they were marked.
    pub marked: Vec<String>,
    /// Favourites and recents, remembered across openings.
    pub prefs: Prefs,
    /// The IAM Identity Center sign-in the host asked for.
    pub sso: Option<SsoPrompt>,
}

/// An SSO profile whose login has no usable token: the "Sign in" button, then the wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoPrompt {
    /// The profile whose open needs the login.
    pub profile: String,
    /// The login's name (`sso-session` or legacy profile), as the host's message gives it.
    pub login: String,
    /// The host's words: which login, and why.
    pub message: String,
    /// True once the person clicked "Sign in" and the background is waiting for approval.
    pub waiting: bool,
    /// The code the verification page shows, once the host has it.
    pub user_code: Option<String>,
}

/// A request for the code of a profile's MFA device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaPrompt {
    /// The profile whose open is waiting for the code.
    pub profile: String,
    /// The host's words: which device, and why.
    pub message: String,
    /// Changes with every new prompt, so the view knows to clear the field.
    pub serial: u32,
}

/// Something that happened in the popup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    /// The background answered `list_profiles`.
    Loaded(Result<ProfileList, ProtocolError>),
    /// The search box changed.
    Filter(String),
    /// Arrow keys: move the highlight by this many visible rows.
    Move(isize),
    /// Enter: open the marked rows, else the highlighted one (the first visible one unless
    /// moved); `background`: Ctrl/Cmd+Enter, the tabs open without taking focus.
    OpenSelected {
        /// Open without switching to the new tab.
        background: bool,
    },
    /// Space: mark or unmark the highlighted row.
    ToggleMark,
    /// The stored favourites and recents arrived.
    PrefsLoaded(Prefs),
    /// The star of a row, or `*` on the highlighted row.
    ToggleFavourite(Option<String>),
    /// The background answered `open_many`.
    OpenedMany(Result<Vec<OpenOutcome>, ProtocolError>),
    /// A row was clicked.
    Open(String),
    /// The background answered `open`.
    Opened(Result<OpenedTab, ProtocolError>),
    /// The person submitted an MFA code.
    SubmitMfa(String),
    /// The person dismissed the MFA prompt.
    CancelMfa,
    /// The "Sign in to …" button of the SSO prompt.
    SsoLogin,
    /// The background's answer to `sso_status`: the code to show, once known.
    SsoCode(Option<String>),
    /// The background answered `sso_login`: signed in and the console opened, or why not.
    SsoDone(Result<OpenedTab, ProtocolError>),
    /// The person dismissed the SSO prompt.
    CancelSso,
}

impl Model {
    /// The popup as it opens, and the request that fills it.
    pub fn new() -> (Model, PopupRequest) {
        (
            Model {
                loading: true,
                ..Model::default()
            },
            PopupRequest::ListProfiles,
        )
    }

    /// Applies `msg`; returns the request to send to the background, if one is due.
    pub fn update(&mut self, msg: Msg) -> Option<PopupRequest> {
        match msg {
            Msg::Loaded(result) => {
                self.loading = false;
                match result {
                    Ok(list) => {
                        self.profiles = list.profiles;
                        self.error = None;
                    }
                    Err(e) => self.error = Some(e),
                }
                self.clamp_selection();
                None
            }
            Msg::Filter(filter) => {
                self.filter = filter;
                self.selected = 0;
                None
            }
            Msg::Move(by) => {
                let count = self.visible().len();
                if count > 0 {
                    let moved = self.selected as isize + by;
                    self.selected = moved.clamp(0, count as isize - 1) as usize;
                }
                None
            }
            Msg::OpenSelected { background } => {
                if !self.marked.is_empty() {
                    let profiles = std::mem::take(&mut self.marked);
                    self.opening = Some(profiles.join(", "));
                    self.opened = None;
                    self.notices.clear();
                    self.error = None;
                    return Some(PopupRequest::OpenMany {
                        profiles,
                        background,
                    });
                }
                let name = self.visible().get(self.selected).map(|p| p.name.clone())?;
                self.open_with(name, None, background)
            }
            Msg::PrefsLoaded(prefs) => {
                self.prefs = prefs;
                None
            }
            Msg::ToggleFavourite(name) => {
                let name =
                    name.or_else(|| self.visible().get(self.selected).map(|p| p.name.clone()))?;
                self.prefs.toggle_favourite(&name);
                None
            }
            Msg::ToggleMark => {
                let name = self.visible().get(self.selected).map(|p| p.name.clone())?;
                match self.marked.iter().position(|m| *m == name) {
                    Some(at) => {
                        self.marked.remove(at);
                    }
                    None => self.marked.push(name),
                }
                None
            }
            Msg::OpenedMany(result) => {
                self.opening = None;
                match result {
                    Err(e) => self.error = Some(e),
                    Ok(outcomes) => {
                        let (opened, failed): (Vec<_>, Vec<_>) =
                            outcomes.into_iter().partition(|o| o.result().is_ok());
                        for o in opened.iter().rev() {
                            self.prefs.opened(&o.profile);
                        }
                        self.opened = (!opened.is_empty()).then(|| {
                            opened
                                .iter()
                                .map(|o| o.profile.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        });
                        self.error = failed.first().map(|_| many_failed(&failed));
                    }
                }
                None
            }
            Msg::Open(profile) => self.open(profile, None),
            Msg::Opened(result) => {
                let profile = self.opening.take();
                match result {
                    Ok(tab) => {
                        self.prefs.opened(&tab.profile);
                        self.opened = Some(tab.profile);
                        self.notices = tab.notices;
                        self.mfa = None;
                    }
                    Err(e) if e.code == ErrorCode::SsoLoginRequired => {
                        let profile = profile.unwrap_or_default();
                        self.mfa = None;
                        self.error = None;
                        self.sso = Some(SsoPrompt {
                            login: first_code(&e.message).unwrap_or(&profile).to_owned(),
                            profile,
                            message: e.message,
                            waiting: false,
                            user_code: None,
                        });
                    }
                    Err(e) if is_mfa_prompt(&e) => {
                        let serial = self.mfa.as_ref().map_or(0, |m| m.serial + 1);
                        self.mfa = Some(MfaPrompt {
                            profile: profile.unwrap_or_default(),
                            message: e.message.clone(),
                            serial,
                        });
                        // A first prompt needs no alert; a refused code does.
                        self.error = (e.code == ErrorCode::MfaInvalid).then_some(e);
                    }
                    Err(e) => {
                        self.mfa = None;
                        self.error = Some(e);
                    }
                }
                None
            }
            Msg::SubmitMfa(code) => {
                let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
                let prompt = self.mfa.clone()?;
                if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
                    self.error = Some(ProtocolError::new(
                        ErrorCode::MfaInvalid,
                        "An MFA code is six digits.",
                        "Type the code your authenticator shows now.",
                    ));
                    return None;
                }
                self.open(prompt.profile, Some(code))
            }
            Msg::CancelMfa => {
                self.mfa = None;
                self.error = None;
                None
            }
            Msg::SsoLogin => {
                let prompt = self.sso.as_mut().filter(|p| !p.waiting)?;
                prompt.waiting = true;
                self.error = None;
                self.opened = None;
                self.notices.clear();
                Some(PopupRequest::SsoLogin {
                    profile: prompt.profile.clone(),
                })
            }
            Msg::SsoCode(code) => {
                if let Some(prompt) = self.sso.as_mut().filter(|p| p.waiting) {
                    if code.is_some() {
                        prompt.user_code = code;
                    }
                }
                None
            }
            Msg::SsoDone(result) => {
                let prompt = self.sso.take();
                if self.opening.is_none() {
                    self.opening = prompt.map(|p| p.profile);
                }
                self.update(Msg::Opened(result))
            }
            Msg::CancelSso => {
                self.sso = None;
                None
            }
        }
    }

    fn open(&mut self, profile: String, mfa_code: Option<String>) -> Option<PopupRequest> {
        self.open_with(profile, mfa_code, false)
    }

    fn open_with(
        &mut self,
        profile: String,
        mfa_code: Option<String>,
        background: bool,
    ) -> Option<PopupRequest> {
        if mfa_code.is_none() {
            self.mfa = None;
        }
        if self.sso.as_ref().is_some_and(|p| !p.waiting) {
            self.sso = None;
        }
        self.opening = Some(profile.clone());
        self.opened = None;
        self.notices.clear();
        self.error = None;
        Some(PopupRequest::Open {
            profile,
            mfa_code,
            background,
        })
    }

    /// The profiles the filter lets through, in order.
    /// Best matches first; with no filter, the host's (alphabetical) order.
    pub fn visible(&self) -> Vec<&ProfileSummary> {
        let mut ranked: Vec<(u32, &ProfileSummary)> = self
            .profiles
            .iter()
            .filter_map(|p| Some((fuzzy::rank(p, &self.filter)?, p)))
            .collect();
        // Stable: equal ranks keep the host's order. Favourites lead; with nothing typed,
        // the recently opened come next.
        let typing = !self.filter.trim().is_empty();
        ranked.sort_by_key(|&(rank, p)| {
            let (tier, at) = self.prefs.tier(&p.name);
            let tier = if typing { tier.min(1) } else { tier };
            (tier, std::cmp::Reverse(rank), at)
        });
        ranked.into_iter().map(|(_, p)| p).collect()
    }

    /// The line in the status area.
    pub fn status(&self) -> String {
        if let Some(prompt) = self.sso.as_ref().filter(|p| p.waiting) {
            return format!(
                "Waiting for the sign-in to {} to be approved in the new tab…",
                prompt.login
            );
        }
        if let Some(name) = &self.opening {
            return format!("Opening {name}…");
        }
        if let Some(name) = &self.opened {
            return match self.notices.as_slice() {
                [] => format!("Opened {name}"),
                notices => format!("Opened {name}. {}", notices.join(" ")),
            };
        }
        if self.loading {
            return "Loading profiles…".to_owned();
        }
        if self.error.is_some() && self.profiles.is_empty() {
            return String::new();
        }
        match (self.profiles.len(), self.visible().len()) {
            (0, _) => "No profiles in ~/.aws/config".to_owned(),
            (_, 0) => format!("No profile matches “{}”", self.filter.trim()),
            (all, shown) if all == shown => plural(all, "profile"),
            (all, shown) => format!("{shown} of {}", plural(all, "profile")),
        }
    }

    fn clamp_selection(&mut self) {
        let count = self.visible().len();
        self.selected = self.selected.min(count.saturating_sub(1));
    }
}

/// Case-insensitive: every word of the filter occurs in the name, account id or role.
fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// One alert for the profiles of a multi-open that failed, each with its own reason.
fn many_failed(failed: &[OpenOutcome]) -> ProtocolError {
    let reasons: Vec<String> = failed
        .iter()
        .filter_map(|o| {
            o.result()
                .err()
                .map(|e| format!("{}: {}", o.profile, e.message))
        })
        .collect();
    let first = failed.iter().find_map(|o| o.result().err());
    ProtocolError::new(
        first.map_or(ErrorCode::Internal, |e| e.code),
        reasons.join(" · "),
        first.map_or_else(String::new, |e| e.hint.clone()),
    )
}

/// The first `backticked` part of a host message: the host names the login that way.
fn first_code(message: &str) -> Option<&str> {
    message.split('`').nth(1).filter(|s| !s.is_empty())
}

fn is_mfa_prompt(e: &ProtocolError) -> bool {
    matches!(e.code, ErrorCode::MfaRequired | ErrorCode::MfaInvalid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::{OpenOutcome, Place};
    use roleport_protocol::{Appearance, ErrorCode, ProfileKind};

    fn profile(name: &str, account: Option<&str>, role: Option<&str>) -> ProfileSummary {
        ProfileSummary {
            name: name.into(),
            kind: ProfileKind::AssumeRole,
            account_id: account.map(Into::into),
            role: role.map(Into::into),
            region: None,
            appearance: Appearance::default_for(name),
        }
    }

    fn loaded() -> Model {
        let (mut model, _) = Model::new();
        let profiles = vec![
            profile("dev", Some("111111111111"), Some("Developer")),
            profile("prod", Some("222222222222"), Some("Admin")),
            profile("prod-eu", Some("333333333333"), Some("ReadOnly")),
            profile("sandbox", None, None),
        ];
        model.update(Msg::Loaded(Ok(ProfileList { profiles })));
        model
    }

    fn names(model: &Model) -> Vec<&str> {
        model.visible().iter().map(|p| p.name.as_str()).collect()
    }

    #[test]
    fn opens_by_asking_for_profiles_and_says_it_is_loading() {
        let (model, first) = Model::new();
        assert_eq!(first, PopupRequest::ListProfiles);
        assert_eq!(model.status(), "Loading profiles…");
        assert_eq!(loaded().status(), "4 profiles");
    }

    #[test]
    fn filter_matches_name_account_and_role_ignoring_case() {
        let mut model = loaded();
        model.update(Msg::Filter("PROD".into()));
        assert_eq!(names(&model), ["prod", "prod-eu"]);
        model.update(Msg::Filter("2222".into()));
        assert_eq!(names(&model), ["prod"]);
        model.update(Msg::Filter("readonly".into()));
        assert_eq!(names(&model), ["prod-eu"]);
        model.update(Msg::Filter("prod admin".into()));
        assert_eq!(names(&model), ["prod"]);
        assert_eq!(model.status(), "1 of 4 profiles");
        model.update(Msg::Filter("nothing".into()));
        assert!(names(&model).is_empty());
        assert_eq!(model.status(), "No profile matches “nothing”");
        model.update(Msg::Filter("   ".into()));
        assert_eq!(names(&model).len(), 4);
    }

    #[test]
    fn enter_opens_the_first_visible_row_or_the_one_moved_to() {
        let mut model = loaded();
        model.update(Msg::Filter("prod".into()));
        assert_eq!(
            model.update(Msg::OpenSelected { background: false }),
            Some(PopupRequest::Open {
                profile: "prod".into(),
                mfa_code: None,
                background: false,
            })
        );
        model.update(Msg::Move(5));
        assert_eq!(model.selected, 1, "clamped to the last visible row");
        assert_eq!(
            model.update(Msg::OpenSelected { background: false }),
            Some(PopupRequest::Open {
                profile: "prod-eu".into(),
                mfa_code: None,
                background: false,
            })
        );
        model.update(Msg::Move(-9));
        assert_eq!(model.selected, 0);
        model.update(Msg::Filter("nothing".into()));
        assert_eq!(model.update(Msg::OpenSelected { background: false }), None);
    }

    #[test]
    fn an_open_reports_progress_then_the_result() {
        let mut model = loaded();
        model.update(Msg::Open("prod".into()));
        assert_eq!(model.status(), "Opening prod…");
        let tab = OpenedTab {
            profile: "prod".into(),
            tab_id: 3,
            place: Place::Group(1),
            notices: Vec::new(),
        };
        model.update(Msg::Opened(Ok(tab)));
        assert_eq!(model.status(), "Opened prod");
        assert_eq!(model.error, None);
    }

    #[test]
    fn errors_are_kept_for_the_alert_and_cleared_by_the_next_try() {
        let (mut model, _) = Model::new();
        let down = ProtocolError::new(ErrorCode::HostUnavailable, "no host", "install it");
        model.update(Msg::Loaded(Err(down.clone())));
        assert_eq!(model.error, Some(down));
        assert_eq!(model.status(), "");

        let mut model = loaded();
        let denied = ProtocolError::new(ErrorCode::AccessDenied, "denied", "fix the trust policy");
        model.update(Msg::Open("prod".into()));
        model.update(Msg::Opened(Err(denied.clone())));
        assert_eq!(model.error, Some(denied));
        model.update(Msg::Open("dev".into()));
        assert_eq!(model.error, None);
    }

    #[test]
    fn empty_config_says_where_profiles_come_from() {
        let (mut model, _) = Model::new();
        model.update(Msg::Loaded(Ok(ProfileList { profiles: vec![] })));
        assert_eq!(model.status(), "No profiles in ~/.aws/config");
        assert_eq!(model.update(Msg::OpenSelected { background: false }), None);
        model.update(Msg::Move(1));
        assert_eq!(model.selected, 0);
    }

    fn mfa_error(code: ErrorCode) -> ProtocolError {
        ProtocolError::new(
            code,
            "profile `prod` needs the code of arn:aws:iam::1:mfa/alice",
            "Enter it.",
        )
    }

    #[test]
    fn mfa_required_prompts_and_the_code_reopens_the_same_profile() {
        let mut model = loaded();
        model.update(Msg::Open("prod".into()));
        model.update(Msg::Opened(Err(mfa_error(ErrorCode::MfaRequired))));
        let prompt = model.mfa.clone().expect("a prompt");
        assert_eq!(prompt.profile, "prod");
        assert!(prompt.message.contains("mfa/alice"));
        assert_eq!(model.error, None, "a first prompt is not an error");
        assert_eq!(
            model.update(Msg::SubmitMfa(" 123 456 ".into())),
            Some(PopupRequest::Open {
                profile: "prod".into(),
                mfa_code: Some("123456".into()),
                background: false,
            })
        );
    }

    #[test]
    fn a_refused_code_shows_why_and_prompts_again_with_a_fresh_field() {
        let mut model = loaded();
        model.update(Msg::Open("prod".into()));
        model.update(Msg::Opened(Err(mfa_error(ErrorCode::MfaRequired))));
        let first = model.mfa.as_ref().map(|m| m.serial);
        model.update(Msg::SubmitMfa("000000".into()));
        model.update(Msg::Opened(Err(mfa_error(ErrorCode::MfaInvalid))));
        assert_eq!(
            model.error.as_ref().map(|e| e.code),
            Some(ErrorCode::MfaInvalid)
        );
        assert_ne!(
            model.mfa.as_ref().map(|m| m.serial),
            first,
            "the field is cleared"
        );
        assert_eq!(model.mfa.as_ref().map(|m| m.profile.as_str()), Some("prod"));
    }

    #[test]
    fn malformed_codes_are_caught_before_asking_aws() {
        let mut model = loaded();
        model.update(Msg::Open("prod".into()));
        model.update(Msg::Opened(Err(mfa_error(ErrorCode::MfaRequired))));
        assert_eq!(model.update(Msg::SubmitMfa("12345".into())), None);
        assert_eq!(model.update(Msg::SubmitMfa("abcdef".into())), None);
        assert!(model.error.is_some() && model.mfa.is_some());
    }

    #[test]
    fn success_or_another_open_dismisses_the_prompt() {
        let mut model = loaded();
        model.update(Msg::Open("prod".into()));
        model.update(Msg::Opened(Err(mfa_error(ErrorCode::MfaRequired))));
        model.update(Msg::Open("dev".into()));
        assert_eq!(model.mfa, None);
        model.update(Msg::Opened(Err(mfa_error(ErrorCode::MfaRequired))));
        model.update(Msg::SubmitMfa("123456".into()));
        model.update(Msg::Opened(Ok(OpenedTab {
            profile: "dev".into(),
            tab_id: 1,
            place: Place::Group(2),
            notices: Vec::new(),
        })));
        assert_eq!(
            (model.mfa.clone(), model.opened.as_deref()),
            (None, Some("dev"))
        );
        model.update(Msg::Opened(Err(mfa_error(ErrorCode::MfaRequired))));
        model.update(Msg::CancelMfa);
        assert_eq!((model.mfa.clone(), model.error.clone()), (None, None));
    }

    #[test]
    fn sso_login_required_offers_a_sign_in_that_shows_the_code_and_reopens() {
        let mut model = loaded();
        model.update(Msg::Open("prod".into()));
        let required = ProtocolError::new(
            ErrorCode::SsoLoginRequired,
            "IAM Identity Center login `my-sso` needs signing in again: no token",
            "Sign in from the popup.",
        );
        model.update(Msg::Opened(Err(required)));
        let prompt = model.sso.clone().expect("a prompt");
        assert_eq!(
            (prompt.profile.as_str(), prompt.login.as_str()),
            ("prod", "my-sso")
        );
        assert!(!prompt.waiting);
        assert_eq!(model.error, None);
        assert_eq!(model.update(Msg::SsoCode(Some("X".into()))), None);
        assert_eq!(
            model.sso.as_ref().and_then(|p| p.user_code.clone()),
            None,
            "not asked yet"
        );
        assert_eq!(
            model.update(Msg::SsoLogin),
            Some(PopupRequest::SsoLogin {
                profile: "prod".into()
            })
        );
        assert_eq!(model.update(Msg::SsoLogin), None, "one login at a time");
        assert!(model.status().contains("my-sso"), "{}", model.status());
        model.update(Msg::SsoCode(None));
        model.update(Msg::SsoCode(Some("ABCD-EFGH".into())));
        assert_eq!(
            model.sso.as_ref().and_then(|p| p.user_code.as_deref()),
            Some("ABCD-EFGH")
        );
        model.update(Msg::SsoDone(Ok(OpenedTab {
            profile: "prod".into(),
            tab_id: 5,
            place: Place::Group(2),
            notices: Vec::new(),
        })));
        assert_eq!(model.sso, None);
        assert_eq!(model.status(), "Opened prod");
        // A refused login shows why; the prompt is gone.
        model.update(Msg::Open("prod".into()));
        model.update(Msg::Opened(Err(ProtocolError::new(
            ErrorCode::SsoLoginRequired,
            "login `x` needs signing in",
            "h",
        ))));
        model.update(Msg::SsoLogin);
        let denied = ProtocolError::new(ErrorCode::AccessDenied, "was denied", "again");
        model.update(Msg::SsoDone(Err(denied.clone())));
        assert_eq!(
            (model.sso.clone(), model.error.clone()),
            (None, Some(denied))
        );
    }

    #[test]
    fn space_marks_rows_and_enter_opens_every_marked_one_at_once() {
        let mut model = loaded();
        model.update(Msg::ToggleMark);
        model.update(Msg::Move(1));
        model.update(Msg::ToggleMark);
        model.update(Msg::Move(1));
        model.update(Msg::ToggleMark);
        model.update(Msg::ToggleMark);
        assert_eq!(model.marked, ["dev", "prod"], "a second Space unmarks");
        assert_eq!(
            model.update(Msg::OpenSelected { background: true }),
            Some(PopupRequest::OpenMany {
                profiles: vec!["dev".into(), "prod".into()],
                background: true,
            })
        );
        assert!(model.marked.is_empty());
        let tab = |p: &str| OpenedTab {
            profile: p.into(),
            tab_id: 1,
            place: Place::Group(1),
            notices: Vec::new(),
        };
        let failed =
            ProtocolError::new(ErrorCode::AccessDenied, "denied", "check the trust policy");
        model.update(Msg::OpenedMany(Ok(vec![
            OpenOutcome {
                profile: "dev".into(),
                reply: crate::messages::PopupReply::Ok(tab("dev")),
            },
            OpenOutcome {
                profile: "prod".into(),
                reply: crate::messages::PopupReply::Err(failed),
            },
        ])));
        assert_eq!(model.opened.as_deref(), Some("dev"));
        let error = model.error.clone().expect("prod's failure is shown");
        assert_eq!(error.message, "prod: denied");
    }

    #[test]
    fn ctrl_enter_opens_the_highlighted_row_in_the_background() {
        let mut model = loaded();
        assert_eq!(
            model.update(Msg::OpenSelected { background: true }),
            Some(PopupRequest::Open {
                profile: "dev".into(),
                mfa_code: None,
                background: true
            })
        );
    }

    #[test]
    fn fuzzy_matches_rank_the_best_first() {
        let mut model = loaded();
        model.update(Msg::Filter("prd".into()));
        assert_eq!(names(&model), ["prod", "prod-eu"]);
        model.update(Msg::Filter("eu".into()));
        assert_eq!(names(&model)[0], "prod-eu");
    }

    #[test]
    fn favourites_are_pinned_and_recents_follow_when_nothing_is_typed() {
        let mut model = loaded();
        model.update(Msg::ToggleFavourite(Some("sandbox".into())));
        model.update(Msg::Open("prod-eu".into()));
        model.update(Msg::Opened(Ok(OpenedTab {
            profile: "prod-eu".into(),
            tab_id: 1,
            place: Place::Group(1),
            notices: Vec::new(),
        })));
        assert_eq!(names(&model), ["sandbox", "prod-eu", "dev", "prod"]);
        model.update(Msg::Filter("prod".into()));
        assert_eq!(
            names(&model),
            ["prod", "prod-eu"],
            "typing ranks by match; recents no longer lead"
        );
        model.update(Msg::Filter(String::new()));
        model.update(Msg::ToggleFavourite(None));
        assert!(
            model.prefs.favourites.is_empty(),
            "`*` on the highlighted row (sandbox) unstars it"
        );
    }
}
