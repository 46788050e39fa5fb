"""vc-app: the project under test of t-project-deps."""
import vc_beta

VALUE = "v1"
