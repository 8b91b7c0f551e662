"""data_cfg.py CFGFILE... — merges the data-management part into the kit's CS files (in place):
DataManagement/FileCatalog and RequestManagement/ReqManager (DIPS, loopback), their databases, the
catalog declaration, three storage elements and the Operations data options the pilot reads.
Values from the environment: KIT_SITE, KIT_SE_DIR, KIT_DOWN_PORT, KIT_SANDBOX_LIMIT."""
import os
import sys

from diraccfg import CFG

E = os.environ
SITE = E.get("KIT_SITE", "DIRAC.Kit.ch")
SE_DIR = E["KIT_SE_DIR"]
DOWN_PORT = E.get("KIT_DOWN_PORT", "9")
LIMIT = E.get("KIT_SANDBOX_LIMIT", str(256 * 1024))
H = "127.0.0.1"

TEXT = f"""
Systems
{{
  DataManagement
  {{
    Production
    {{
      URLs
      {{
        FileCatalog = dips://{H}:9197/DataManagement/FileCatalog
      }}
      Services
      {{
        FileCatalog
        {{
          Port = 9197
          Authorization
          {{
            Default = authenticated
          }}
        }}
      }}
      Databases
      {{
        FileCatalogDB
        {{
          DBName = FileCatalogDB
        }}
      }}
    }}
  }}
  RequestManagement
  {{
    Production
    {{
      URLs
      {{
        ReqManager = dips://{H}:9140/RequestManagement/ReqManager
      }}
      Services
      {{
        ReqManager
        {{
          Port = 9140
          ConstantRequestDelay = 0
          Authorization
          {{
            Default = authenticated
          }}
        }}
      }}
      Databases
      {{
        ReqDB
        {{
          DBName = ReqDB
        }}
      }}
    }}
  }}
  WorkloadManagement
  {{
    Production
    {{
      JobWrapper
      {{
        OutputSandboxLimit = {LIMIT}
        MinOutputDataBufferGB = 0.001
      }}
    }}
  }}
}}
Resources
{{
  FileCatalogs
  {{
    FileCatalog
    {{
      AccessType = Read-Write
      Status = Active
      Master = True
    }}
  }}
  Sites
  {{
    DIRAC
    {{
      {SITE}
      {{
        SE = KIT-SE
      }}
    }}
  }}
  StorageElements
  {{
    KIT-SE
    {{
      BackendType = File
      POSIX
      {{
        PluginName = File
        Protocol = file
        Host =
        Path = {SE_DIR}/KIT-SE
        Access = remote
      }}
    }}
    KIT-FAILOVER-SE
    {{
      BackendType = File
      POSIX
      {{
        PluginName = File
        Protocol = file
        Host =
        Path = {SE_DIR}/KIT-FAILOVER-SE
        Access = remote
      }}
    }}
    KIT-DOWN-SE
    {{
      BackendType = xrootd
      XRD
      {{
        PluginName = GFAL2_XROOT
        Protocol = root
        Host = {H}
        Port = {DOWN_PORT}
        Path = /
        Access = remote
      }}
    }}
  }}
  StorageElementGroups
  {{
    SE-USER = KIT-SE
    Tier1-Failover = KIT-FAILOVER-SE
  }}
}}
Operations
{{
  Defaults
  {{
    FailoverSEs = KIT-FAILOVER-SE
    DataManagement
    {{
      AccessProtocols = file, root
      WriteProtocols = file, root
      RegistrationProtocols = file, root
    }}
    InputDataPolicy
    {{
      Default = DIRAC.WorkloadManagementSystem.Client.DownloadInputData
    }}
    Services
    {{
      Catalogs
      {{
        CatalogList = FileCatalog
        FileCatalog
        {{
          AccessType = Read-Write
          Status = Active
          Master = True
        }}
      }}
    }}
  }}
}}
"""

for path in sys.argv[1:]:
    merged = CFG().loadFromFile(path).mergeWith(CFG().loadFromBuffer(TEXT))
    with open(path, "w") as f:
        f.write(str(merged))
