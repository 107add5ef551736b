# The custom search attributes the workflows set (keep in sync with src/shared/search-attributes.ts).
SEARCH_ATTRIBUTE_ARGS=(
  --search-attribute DcosCluster=Keyword
  --search-attribute DcosFromVersion=Keyword
  --search-attribute DcosToVersion=Keyword
  --search-attribute DcosPatchPhase=Keyword
)
