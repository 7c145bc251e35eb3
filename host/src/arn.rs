//! IAM role ARNs: the parts roleport shows and the partition it signs in to.

use std::fmt;

/// A parsed `arn:PARTITION:iam::ACCOUNT:role/PATH/NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleArn {
    /// The ARN as written.
    pub arn: String,
    /// `aws`, `aws-us-gov`, `aws-cn`, …
    pub partition: String,
    /// Twelve-digit account id.
    pub account_id: String,
    /// The role's name (last path segment).
    pub role_name: String,
}

/// Why a string is not a role ARN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)")]
pub struct NotARoleArn(String);

impl RoleArn {
    /// Parses a role ARN.
    pub fn parse(s: &str) -> Result<RoleArn, NotARoleArn> {
        let bad = || NotARoleArn(s.to_owned());
        let mut parts = s.trim().splitn(6, ':');
        let (Some("arn"), Some(partition), Some("iam"), Some(""), Some(account), Some(resource)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(bad());
        };
        let role_name = resource
            .strip_prefix("role/")
            .and_then(|path| path.rsplit('/').next())
            .filter(|name| !name.is_empty())
            .ok_or_else(bad)?;
        if partition.is_empty() || account.is_empty() {
            return Err(bad());
        }
        Ok(RoleArn {
            arn: s.trim().to_owned(),
            partition: partition.to_owned(),
            account_id: account.to_owned(),
            role_name: role_name.to_owned(),
        })
    }
}

impl fmt::Display for RoleArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.arn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_with_path_keeps_last_segment_as_name() {
        let arn =
            RoleArn::parse("arn:aws-us-gov:iam::123456789012:role/team/ops/Admin").expect("parses");
        assert_eq!(arn.partition, "aws-us-gov");
        assert_eq!(arn.account_id, "123456789012");
        assert_eq!(arn.role_name, "Admin");
    }

    #[test]
    fn non_role_arns_are_refused() {
        for s in [
            "",
            "arn:aws:iam::123456789012:user/bob",
            "arn:aws:s3:::bucket",
            "arn:aws:iam::123:role/",
            "role/Admin",
        ] {
            assert!(RoleArn::parse(s).is_err(), "{s}");
        }
    }
}
