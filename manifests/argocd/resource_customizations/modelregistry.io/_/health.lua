-- Argo CD health of the operator's kinds (modelregistry.io/v1alpha1: ModelPackageGroup, ModelVersion,
-- CrossAccountRegistryAccess), read from their kstatus conditions: Stalled=True is Degraded,
-- Ready=True is Healthy, anything else is Progressing. The one health script of the group: it lives in
-- modelregistry.io/_, Argo CD's wildcard layout (a `_` in the directory name matches anything, so
-- this directory serves every kind of the group), with health_test.yaml and testdata/<Kind>/ beside
-- it. manifests/argocd/argocd-cm-health.yaml, one key per kind, is generated from it
-- (`registry-testbed health-checks`), and a unit test fails when it differs.
local hs = {}

local function condition(ctype)
  if obj.status ~= nil and obj.status.conditions ~= nil then
    for _, c in ipairs(obj.status.conditions) do
      if c.type == ctype then
        return c
      end
    end
  end
  return nil
end

local function describe(c)
  if c.message ~= nil and c.message ~= "" then
    return c.reason .. ": " .. c.message
  end
  return c.reason
end

if obj.metadata.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  hs.message = "Being deleted: the operator is removing what it created"
  return hs
end

-- Conditions describe the spec the operator last saw; until it has seen this one, they are stale.
local generation = obj.metadata.generation or 0
local observed = -1
if obj.status ~= nil and obj.status.observedGeneration ~= nil then
  observed = obj.status.observedGeneration
end
local ready = condition("Ready")
if ready == nil or observed < generation or (ready.observedGeneration ~= nil and ready.observedGeneration < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to reconcile generation " .. tostring(generation)
  return hs
end

local stalled = condition("Stalled")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(stalled)
  return hs
end

if ready.status ~= "True" then
  hs.status = "Progressing"
  hs.message = describe(ready)
  return hs
end

hs.status = "Healthy"
if obj.kind ~= "ModelVersion" then
  hs.message = describe(ready)
  return hs
end
-- A version pending manual approval is Healthy: it is registered, and the review is a human step
-- that may take days; Progressing would hold sync waves and the Application's health that long.
-- The message says it is awaiting review (status.approvalStatus has the decision).
local st = obj.status
if st.modelPackageVersion == nil or st.modelPackageGroupName == nil then
  hs.message = describe(ready)
  return hs
end
hs.message = "Version " .. tostring(st.modelPackageVersion) .. " of " .. st.modelPackageGroupName
if st.approvalStatus == "PendingManualApproval" then
  if obj.spec.approvalStatus == nil then
    hs.message = hs.message .. ": PendingManualApproval, awaiting a reviewer's decision in SageMaker"
  else
    hs.message = hs.message .. ": PendingManualApproval (set in git)"
  end
elseif st.approvalStatus ~= nil then
  hs.message = hs.message .. ": " .. st.approvalStatus
end
return hs
