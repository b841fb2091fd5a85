/**
 * The CIS AWS Foundations Benchmark monitoring patterns, VERBATIM: Security Hub controls CloudWatch.1–14
 * (its documentation prints the exact filters CIS prescribes; Security Hub fails a control when they are
 * changed), plus the CIS v1.4+ texts of 4.1 and 4.2 and 4.15 (AWS Organizations changes, which has no
 * Security Hub control) as third-party reproductions agree on them (aws-facts.md section 5).
 * Do not reformat these strings: alarms are checked against them character for character.
 */
export interface CisPattern {
  /** Security Hub control id (`CloudWatch.N`), or `CIS.x.y` for benchmark items without one. */
  readonly id: string;
  /** Which CIS benchmark versions and items it implements. */
  readonly cis: string;
  readonly name: string;
  readonly description: string;
  readonly pattern: string;
}

export const CIS_PATTERNS = [
  {
    id: 'CloudWatch.1',
    cis: 'v1.2 1.1, 3.3; v1.4 1.7, 4.3',
    name: 'root-account-usage',
    description: 'Usage of the root user',
    pattern: '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}',
  },
  {
    id: 'CloudWatch.2',
    cis: 'v1.2 3.1',
    name: 'unauthorized-api-calls',
    description: 'Unauthorized API calls',
    pattern: '{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}',
  },
  {
    id: 'CloudWatch.3',
    cis: 'v1.2 3.2',
    name: 'console-sign-in-without-mfa',
    description: 'Management console sign-in without MFA',
    pattern:
      '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
  },
  {
    id: 'CloudWatch.4',
    cis: 'v1.2 3.4; v1.4 4.4',
    name: 'iam-policy-changes',
    description: 'IAM policy changes',
    pattern:
      '{($.eventName=DeleteGroupPolicy) || ($.eventName=DeleteRolePolicy) || ($.eventName=DeleteUserPolicy) || ($.eventName=PutGroupPolicy) || ($.eventName=PutRolePolicy) || ($.eventName=PutUserPolicy) || ($.eventName=CreatePolicy) || ($.eventName=DeletePolicy) || ($.eventName=CreatePolicyVersion) || ($.eventName=DeletePolicyVersion) || ($.eventName=AttachRolePolicy) || ($.eventName=DetachRolePolicy) || ($.eventName=AttachUserPolicy) || ($.eventName=DetachUserPolicy) || ($.eventName=AttachGroupPolicy) || ($.eventName=DetachGroupPolicy)}',
  },
  {
    id: 'CloudWatch.5',
    cis: 'v1.2 3.5; v1.4 4.5',
    name: 'cloudtrail-configuration-changes',
    description: 'CloudTrail configuration changes',
    pattern:
      '{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || ($.eventName=DeleteTrail) || ($.eventName=StartLogging) || ($.eventName=StopLogging)}',
  },
  {
    id: 'CloudWatch.6',
    cis: 'v1.2 3.6; v1.4 4.6',
    name: 'console-authentication-failures',
    description: 'AWS Management Console authentication failures',
    pattern: '{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}',
  },
  {
    id: 'CloudWatch.7',
    cis: 'v1.2 3.7; v1.4 4.7',
    name: 'cmk-disabling-or-deletion',
    description: 'Disabling or scheduled deletion of customer managed keys',
    pattern: '{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion))}',
  },
  {
    id: 'CloudWatch.8',
    cis: 'v1.2 3.8; v1.4 4.8',
    name: 's3-bucket-policy-changes',
    description: 'S3 bucket policy changes',
    pattern:
      '{($.eventSource=s3.amazonaws.com) && (($.eventName=PutBucketAcl) || ($.eventName=PutBucketPolicy) || ($.eventName=PutBucketCors) || ($.eventName=PutBucketLifecycle) || ($.eventName=PutBucketReplication) || ($.eventName=DeleteBucketPolicy) || ($.eventName=DeleteBucketCors) || ($.eventName=DeleteBucketLifecycle) || ($.eventName=DeleteBucketReplication))}',
  },
  {
    id: 'CloudWatch.9',
    cis: 'v1.2 3.9; v1.4 4.9',
    name: 'aws-config-changes',
    description: 'AWS Config configuration changes',
    pattern:
      '{($.eventSource=config.amazonaws.com) && (($.eventName=StopConfigurationRecorder) || ($.eventName=DeleteDeliveryChannel) || ($.eventName=PutDeliveryChannel) || ($.eventName=PutConfigurationRecorder))}',
  },
  {
    id: 'CloudWatch.10',
    cis: 'v1.2 3.10; v1.4 4.10',
    name: 'security-group-changes',
    description: 'Security group changes',
    pattern:
      '{($.eventName=AuthorizeSecurityGroupIngress) || ($.eventName=AuthorizeSecurityGroupEgress) || ($.eventName=RevokeSecurityGroupIngress) || ($.eventName=RevokeSecurityGroupEgress) || ($.eventName=CreateSecurityGroup) || ($.eventName=DeleteSecurityGroup)}',
  },
  {
    id: 'CloudWatch.11',
    cis: 'v1.2 3.11; v1.4 4.11',
    name: 'nacl-changes',
    description: 'Network access control list (NACL) changes',
    pattern:
      '{($.eventName=CreateNetworkAcl) || ($.eventName=CreateNetworkAclEntry) || ($.eventName=DeleteNetworkAcl) || ($.eventName=DeleteNetworkAclEntry) || ($.eventName=ReplaceNetworkAclEntry) || ($.eventName=ReplaceNetworkAclAssociation)}',
  },
  {
    id: 'CloudWatch.12',
    cis: 'v1.2 3.12; v1.4 4.12',
    name: 'network-gateway-changes',
    description: 'Network gateway changes',
    pattern:
      '{($.eventName=CreateCustomerGateway) || ($.eventName=DeleteCustomerGateway) || ($.eventName=AttachInternetGateway) || ($.eventName=CreateInternetGateway) || ($.eventName=DeleteInternetGateway) || ($.eventName=DetachInternetGateway)}',
  },
  {
    id: 'CloudWatch.13',
    cis: 'v1.2 3.13; v1.4 4.13',
    name: 'route-table-changes',
    description: 'Route table changes',
    pattern:
      '{($.eventName=CreateRoute) || ($.eventName=CreateRouteTable) || ($.eventName=ReplaceRoute) || ($.eventName=ReplaceRouteTableAssociation) || ($.eventName=DeleteRouteTable) || ($.eventName=DeleteRoute) || ($.eventName=DisassociateRouteTable)}',
  },
  {
    id: 'CloudWatch.14',
    cis: 'v1.2 3.14; v1.4 4.14',
    name: 'vpc-changes',
    description: 'VPC changes',
    pattern:
      '{($.eventName=CreateVpc) || ($.eventName=DeleteVpc) || ($.eventName=ModifyVpcAttribute) || ($.eventName=AcceptVpcPeeringConnection) || ($.eventName=CreateVpcPeeringConnection) || ($.eventName=DeleteVpcPeeringConnection) || ($.eventName=RejectVpcPeeringConnection) || ($.eventName=AttachClassicLinkVpc) || ($.eventName=DetachClassicLinkVpc) || ($.eventName=DisableVpcClassicLink) || ($.eventName=EnableVpcClassicLink)}',
  },
  {
    id: 'CIS.4.1',
    cis: 'v1.4 4.1',
    name: 'unauthorized-api-calls-v1-4',
    description:
      'Unauthorized API calls (CIS v1.4+ text; the exclusions bind to the AccessDenied* branch only, since && binds tighter than ||)',
    pattern:
      '{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }',
  },
  {
    id: 'CIS.4.2',
    cis: 'v1.4 4.2',
    name: 'console-sign-in-without-mfa-v1-4',
    description: 'Management console sign-in without MFA (CIS v1.4+ text)',
    pattern: '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }',
  },
  {
    id: 'CIS.4.15',
    cis: 'v1.4 4.15',
    name: 'organizations-changes',
    description: 'AWS Organizations changes (no Security Hub control)',
    pattern:
      '{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }',
  },
] as const satisfies readonly CisPattern[];

export type CisPatternId = (typeof CIS_PATTERNS)[number]['id'];

/**
 * trailguard's default for the unauthorized-API-calls function: CloudWatch.2 / CIS 3.1 with spaces, so
 * `Client.UnauthorizedOperation`, `UnauthorizedOperation`, `AccessDenied` and `AccessDeniedException` match.
 */
export const DEFAULT_UNAUTHORIZED_PATTERN =
  '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }';
