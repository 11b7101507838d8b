<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis labelsEnabled="0" version="3.22.16-Białowieża" styleCategories="Symbology|Labeling">
  <renderer-v2 type="RuleRenderer" referencescale="-1" enableorderby="0" forceraster="0" symbollevels="0">
    <rules key="{00000000-0000-0000-0000-000000000001}">
      <rule filter="&quot;flagged&quot; = 1 AND &quot;lmb_source&quot; = &#x27;official&#x27;" symbol="0" label="lmb share ≥ threshold (official)" key="{00000000-0000-0000-0000-000000000064}"/>
      <rule filter="&quot;flagged&quot; = 1 AND &quot;lmb_source&quot; = &#x27;estimate&#x27;" symbol="1" label="lmb share ≥ threshold (estimate: hollow)" key="{00000000-0000-0000-0000-000000000065}"/>
      <rule filter="&quot;flagged&quot; = 0 AND &quot;lmb_source&quot; = &#x27;official&#x27;" symbol="2" label="below threshold (official)" key="{00000000-0000-0000-0000-000000000066}"/>
      <rule filter="&quot;flagged&quot; = 0 AND &quot;lmb_source&quot; = &#x27;estimate&#x27;" symbol="3" label="below threshold (estimate: hollow)" key="{00000000-0000-0000-0000-000000000067}"/>
      <rule filter="&quot;flagged&quot; IS NULL" symbol="4" label="no lmb share" key="{00000000-0000-0000-0000-000000000068}"/>
    </rules>
    <symbols>
      <symbol type="marker" force_rhr="0" clip_to_extent="1" alpha="1" name="0">
        <layer class="SimpleMarker" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option type="QString" name="name" value="circle"/>
            <Option type="QString" name="color" value="215,48,39,255"/>
            <Option type="QString" name="outline_color" value="215,48,39,255"/>
            <Option type="QString" name="outline_style" value="solid"/>
            <Option type="QString" name="outline_width" value="0.5"/>
            <Option type="QString" name="outline_width_unit" value="MM"/>
            <Option type="QString" name="size" value="2.6"/>
            <Option type="QString" name="size_unit" value="MM"/>
            <Option type="QString" name="angle" value="0"/>
            <Option type="QString" name="joinstyle" value="bevel"/>
            <Option type="QString" name="scale_method" value="diameter"/>
            <Option type="QString" name="vertical_anchor_point" value="1"/>
            <Option type="QString" name="horizontal_anchor_point" value="1"/>
            <Option type="QString" name="offset" value="0,0"/>
            <Option type="QString" name="offset_unit" value="MM"/>
          </Option>
          <prop k="name" v="circle"/>
          <prop k="color" v="215,48,39,255"/>
          <prop k="outline_color" v="215,48,39,255"/>
          <prop k="outline_style" v="solid"/>
          <prop k="outline_width" v="0.5"/>
          <prop k="outline_width_unit" v="MM"/>
          <prop k="size" v="2.6"/>
          <prop k="size_unit" v="MM"/>
          <prop k="angle" v="0"/>
          <prop k="joinstyle" v="bevel"/>
          <prop k="scale_method" v="diameter"/>
          <prop k="vertical_anchor_point" v="1"/>
          <prop k="horizontal_anchor_point" v="1"/>
          <prop k="offset" v="0,0"/>
          <prop k="offset_unit" v="MM"/>
        </layer>
      </symbol>
      <symbol type="marker" force_rhr="0" clip_to_extent="1" alpha="1" name="1">
        <layer class="SimpleMarker" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option type="QString" name="name" value="circle"/>
            <Option type="QString" name="color" value="0,0,0,0"/>
            <Option type="QString" name="outline_color" value="215,48,39,255"/>
            <Option type="QString" name="outline_style" value="solid"/>
            <Option type="QString" name="outline_width" value="0.5"/>
            <Option type="QString" name="outline_width_unit" value="MM"/>
            <Option type="QString" name="size" value="2.6"/>
            <Option type="QString" name="size_unit" value="MM"/>
            <Option type="QString" name="angle" value="0"/>
            <Option type="QString" name="joinstyle" value="bevel"/>
            <Option type="QString" name="scale_method" value="diameter"/>
            <Option type="QString" name="vertical_anchor_point" value="1"/>
            <Option type="QString" name="horizontal_anchor_point" value="1"/>
            <Option type="QString" name="offset" value="0,0"/>
            <Option type="QString" name="offset_unit" value="MM"/>
          </Option>
          <prop k="name" v="circle"/>
          <prop k="color" v="0,0,0,0"/>
          <prop k="outline_color" v="215,48,39,255"/>
          <prop k="outline_style" v="solid"/>
          <prop k="outline_width" v="0.5"/>
          <prop k="outline_width_unit" v="MM"/>
          <prop k="size" v="2.6"/>
          <prop k="size_unit" v="MM"/>
          <prop k="angle" v="0"/>
          <prop k="joinstyle" v="bevel"/>
          <prop k="scale_method" v="diameter"/>
          <prop k="vertical_anchor_point" v="1"/>
          <prop k="horizontal_anchor_point" v="1"/>
          <prop k="offset" v="0,0"/>
          <prop k="offset_unit" v="MM"/>
        </layer>
      </symbol>
      <symbol type="marker" force_rhr="0" clip_to_extent="1" alpha="1" name="2">
        <layer class="SimpleMarker" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option type="QString" name="name" value="circle"/>
            <Option type="QString" name="color" value="99,99,99,255"/>
            <Option type="QString" name="outline_color" value="99,99,99,255"/>
            <Option type="QString" name="outline_style" value="solid"/>
            <Option type="QString" name="outline_width" value="0.5"/>
            <Option type="QString" name="outline_width_unit" value="MM"/>
            <Option type="QString" name="size" value="1.8"/>
            <Option type="QString" name="size_unit" value="MM"/>
            <Option type="QString" name="angle" value="0"/>
            <Option type="QString" name="joinstyle" value="bevel"/>
            <Option type="QString" name="scale_method" value="diameter"/>
            <Option type="QString" name="vertical_anchor_point" value="1"/>
            <Option type="QString" name="horizontal_anchor_point" value="1"/>
            <Option type="QString" name="offset" value="0,0"/>
            <Option type="QString" name="offset_unit" value="MM"/>
          </Option>
          <prop k="name" v="circle"/>
          <prop k="color" v="99,99,99,255"/>
          <prop k="outline_color" v="99,99,99,255"/>
          <prop k="outline_style" v="solid"/>
          <prop k="outline_width" v="0.5"/>
          <prop k="outline_width_unit" v="MM"/>
          <prop k="size" v="1.8"/>
          <prop k="size_unit" v="MM"/>
          <prop k="angle" v="0"/>
          <prop k="joinstyle" v="bevel"/>
          <prop k="scale_method" v="diameter"/>
          <prop k="vertical_anchor_point" v="1"/>
          <prop k="horizontal_anchor_point" v="1"/>
          <prop k="offset" v="0,0"/>
          <prop k="offset_unit" v="MM"/>
        </layer>
      </symbol>
      <symbol type="marker" force_rhr="0" clip_to_extent="1" alpha="1" name="3">
        <layer class="SimpleMarker" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option type="QString" name="name" value="circle"/>
            <Option type="QString" name="color" value="0,0,0,0"/>
            <Option type="QString" name="outline_color" value="99,99,99,255"/>
            <Option type="QString" name="outline_style" value="solid"/>
            <Option type="QString" name="outline_width" value="0.5"/>
            <Option type="QString" name="outline_width_unit" value="MM"/>
            <Option type="QString" name="size" value="1.8"/>
            <Option type="QString" name="size_unit" value="MM"/>
            <Option type="QString" name="angle" value="0"/>
            <Option type="QString" name="joinstyle" value="bevel"/>
            <Option type="QString" name="scale_method" value="diameter"/>
            <Option type="QString" name="vertical_anchor_point" value="1"/>
            <Option type="QString" name="horizontal_anchor_point" value="1"/>
            <Option type="QString" name="offset" value="0,0"/>
            <Option type="QString" name="offset_unit" value="MM"/>
          </Option>
          <prop k="name" v="circle"/>
          <prop k="color" v="0,0,0,0"/>
          <prop k="outline_color" v="99,99,99,255"/>
          <prop k="outline_style" v="solid"/>
          <prop k="outline_width" v="0.5"/>
          <prop k="outline_width_unit" v="MM"/>
          <prop k="size" v="1.8"/>
          <prop k="size_unit" v="MM"/>
          <prop k="angle" v="0"/>
          <prop k="joinstyle" v="bevel"/>
          <prop k="scale_method" v="diameter"/>
          <prop k="vertical_anchor_point" v="1"/>
          <prop k="horizontal_anchor_point" v="1"/>
          <prop k="offset" v="0,0"/>
          <prop k="offset_unit" v="MM"/>
        </layer>
      </symbol>
      <symbol type="marker" force_rhr="0" clip_to_extent="1" alpha="1" name="4">
        <layer class="SimpleMarker" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option type="QString" name="name" value="circle"/>
            <Option type="QString" name="color" value="0,0,0,0"/>
            <Option type="QString" name="outline_color" value="150,150,150,255"/>
            <Option type="QString" name="outline_style" value="dash"/>
            <Option type="QString" name="outline_width" value="0.5"/>
            <Option type="QString" name="outline_width_unit" value="MM"/>
            <Option type="QString" name="size" value="1.4"/>
            <Option type="QString" name="size_unit" value="MM"/>
            <Option type="QString" name="angle" value="0"/>
            <Option type="QString" name="joinstyle" value="bevel"/>
            <Option type="QString" name="scale_method" value="diameter"/>
            <Option type="QString" name="vertical_anchor_point" value="1"/>
            <Option type="QString" name="horizontal_anchor_point" value="1"/>
            <Option type="QString" name="offset" value="0,0"/>
            <Option type="QString" name="offset_unit" value="MM"/>
          </Option>
          <prop k="name" v="circle"/>
          <prop k="color" v="0,0,0,0"/>
          <prop k="outline_color" v="150,150,150,255"/>
          <prop k="outline_style" v="dash"/>
          <prop k="outline_width" v="0.5"/>
          <prop k="outline_width_unit" v="MM"/>
          <prop k="size" v="1.4"/>
          <prop k="size_unit" v="MM"/>
          <prop k="angle" v="0"/>
          <prop k="joinstyle" v="bevel"/>
          <prop k="scale_method" v="diameter"/>
          <prop k="vertical_anchor_point" v="1"/>
          <prop k="horizontal_anchor_point" v="1"/>
          <prop k="offset" v="0,0"/>
          <prop k="offset_unit" v="MM"/>
        </layer>
      </symbol>
    </symbols>
  </renderer-v2>
  <blendMode>0</blendMode>
  <featureBlendMode>0</featureBlendMode>
  <layerGeometryType>0</layerGeometryType>
</qgis>
