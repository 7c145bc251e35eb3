//! The test AWS: moto plus our sign-in and console stubs (tests/aws/awsemu.py).
