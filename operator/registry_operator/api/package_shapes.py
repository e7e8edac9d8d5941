"""The ModelVersion spec's AWS members, generated from botocore 1.44.8's sagemaker
service model (CreateModelPackage's input). Do not edit: run `make api` (registry_testbed.shape_codegen).

Field names are the API's in lowerCamelCase; constraints and descriptions are the service model's.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from registry_operator.api.common import ApiModel

BOTOCORE_VERSION = "1.44.8"

ModelPackageRegistrationType = Literal["Logged", "Registered"]
S3ModelDataType = Literal["S3Prefix", "S3Object"]
ModelCompressionType = Literal["None", "Gzip"]
AdditionalS3DataSourceDataType = Literal["S3Object", "S3Prefix"]
CompressionType = Literal["None", "Gzip"]
TransformInstanceType = Literal[
    "ml.m4.xlarge",
    "ml.m4.2xlarge",
    "ml.m4.4xlarge",
    "ml.m4.10xlarge",
    "ml.m4.16xlarge",
    "ml.c4.xlarge",
    "ml.c4.2xlarge",
    "ml.c4.4xlarge",
    "ml.c4.8xlarge",
    "ml.p2.xlarge",
    "ml.p2.8xlarge",
    "ml.p2.16xlarge",
    "ml.p3.2xlarge",
    "ml.p3.8xlarge",
    "ml.p3.16xlarge",
    "ml.c5.xlarge",
    "ml.c5.2xlarge",
    "ml.c5.4xlarge",
    "ml.c5.9xlarge",
    "ml.c5.18xlarge",
    "ml.m5.large",
    "ml.m5.xlarge",
    "ml.m5.2xlarge",
    "ml.m5.4xlarge",
    "ml.m5.12xlarge",
    "ml.m5.24xlarge",
    "ml.m6i.large",
    "ml.m6i.xlarge",
    "ml.m6i.2xlarge",
    "ml.m6i.4xlarge",
    "ml.m6i.8xlarge",
    "ml.m6i.12xlarge",
    "ml.m6i.16xlarge",
    "ml.m6i.24xlarge",
    "ml.m6i.32xlarge",
    "ml.c6i.large",
    "ml.c6i.xlarge",
    "ml.c6i.2xlarge",
    "ml.c6i.4xlarge",
    "ml.c6i.8xlarge",
    "ml.c6i.12xlarge",
    "ml.c6i.16xlarge",
    "ml.c6i.24xlarge",
    "ml.c6i.32xlarge",
    "ml.r6i.large",
    "ml.r6i.xlarge",
    "ml.r6i.2xlarge",
    "ml.r6i.4xlarge",
    "ml.r6i.8xlarge",
    "ml.r6i.12xlarge",
    "ml.r6i.16xlarge",
    "ml.r6i.24xlarge",
    "ml.r6i.32xlarge",
    "ml.m7i.large",
    "ml.m7i.xlarge",
    "ml.m7i.2xlarge",
    "ml.m7i.4xlarge",
    "ml.m7i.8xlarge",
    "ml.m7i.12xlarge",
    "ml.m7i.16xlarge",
    "ml.m7i.24xlarge",
    "ml.m7i.48xlarge",
    "ml.c7i.large",
    "ml.c7i.xlarge",
    "ml.c7i.2xlarge",
    "ml.c7i.4xlarge",
    "ml.c7i.8xlarge",
    "ml.c7i.12xlarge",
    "ml.c7i.16xlarge",
    "ml.c7i.24xlarge",
    "ml.c7i.48xlarge",
    "ml.r7i.large",
    "ml.r7i.xlarge",
    "ml.r7i.2xlarge",
    "ml.r7i.4xlarge",
    "ml.r7i.8xlarge",
    "ml.r7i.12xlarge",
    "ml.r7i.16xlarge",
    "ml.r7i.24xlarge",
    "ml.r7i.48xlarge",
    "ml.g4dn.xlarge",
    "ml.g4dn.2xlarge",
    "ml.g4dn.4xlarge",
    "ml.g4dn.8xlarge",
    "ml.g4dn.12xlarge",
    "ml.g4dn.16xlarge",
    "ml.g5.xlarge",
    "ml.g5.2xlarge",
    "ml.g5.4xlarge",
    "ml.g5.8xlarge",
    "ml.g5.12xlarge",
    "ml.g5.16xlarge",
    "ml.g5.24xlarge",
    "ml.g5.48xlarge",
    "ml.trn1.2xlarge",
    "ml.trn1.32xlarge",
    "ml.inf2.xlarge",
    "ml.inf2.8xlarge",
    "ml.inf2.24xlarge",
    "ml.inf2.48xlarge",
    "ml.g6.xlarge",
    "ml.g6.2xlarge",
    "ml.g6.4xlarge",
    "ml.g6.8xlarge",
    "ml.g6.12xlarge",
    "ml.g6.16xlarge",
    "ml.g6.24xlarge",
    "ml.g6.48xlarge",
    "ml.g6e.xlarge",
    "ml.g6e.2xlarge",
    "ml.g6e.4xlarge",
    "ml.g6e.8xlarge",
    "ml.g6e.12xlarge",
    "ml.g6e.16xlarge",
    "ml.g6e.24xlarge",
    "ml.g6e.48xlarge",
]
ProductionVariantInstanceType = Literal[
    "ml.t2.medium",
    "ml.t2.large",
    "ml.t2.xlarge",
    "ml.t2.2xlarge",
    "ml.m4.xlarge",
    "ml.m4.2xlarge",
    "ml.m4.4xlarge",
    "ml.m4.10xlarge",
    "ml.m4.16xlarge",
    "ml.m5.large",
    "ml.m5.xlarge",
    "ml.m5.2xlarge",
    "ml.m5.4xlarge",
    "ml.m5.12xlarge",
    "ml.m5.24xlarge",
    "ml.m5d.large",
    "ml.m5d.xlarge",
    "ml.m5d.2xlarge",
    "ml.m5d.4xlarge",
    "ml.m5d.12xlarge",
    "ml.m5d.24xlarge",
    "ml.c4.large",
    "ml.c4.xlarge",
    "ml.c4.2xlarge",
    "ml.c4.4xlarge",
    "ml.c4.8xlarge",
    "ml.p2.xlarge",
    "ml.p2.8xlarge",
    "ml.p2.16xlarge",
    "ml.p3.2xlarge",
    "ml.p3.8xlarge",
    "ml.p3.16xlarge",
    "ml.c5.large",
    "ml.c5.xlarge",
    "ml.c5.2xlarge",
    "ml.c5.4xlarge",
    "ml.c5.9xlarge",
    "ml.c5.18xlarge",
    "ml.c5d.large",
    "ml.c5d.xlarge",
    "ml.c5d.2xlarge",
    "ml.c5d.4xlarge",
    "ml.c5d.9xlarge",
    "ml.c5d.18xlarge",
    "ml.g4dn.xlarge",
    "ml.g4dn.2xlarge",
    "ml.g4dn.4xlarge",
    "ml.g4dn.8xlarge",
    "ml.g4dn.12xlarge",
    "ml.g4dn.16xlarge",
    "ml.r5.large",
    "ml.r5.xlarge",
    "ml.r5.2xlarge",
    "ml.r5.4xlarge",
    "ml.r5.12xlarge",
    "ml.r5.24xlarge",
    "ml.r5d.large",
    "ml.r5d.xlarge",
    "ml.r5d.2xlarge",
    "ml.r5d.4xlarge",
    "ml.r5d.12xlarge",
    "ml.r5d.24xlarge",
    "ml.inf1.xlarge",
    "ml.inf1.2xlarge",
    "ml.inf1.6xlarge",
    "ml.inf1.24xlarge",
    "ml.dl1.24xlarge",
    "ml.c6i.large",
    "ml.c6i.xlarge",
    "ml.c6i.2xlarge",
    "ml.c6i.4xlarge",
    "ml.c6i.8xlarge",
    "ml.c6i.12xlarge",
    "ml.c6i.16xlarge",
    "ml.c6i.24xlarge",
    "ml.c6i.32xlarge",
    "ml.m6i.large",
    "ml.m6i.xlarge",
    "ml.m6i.2xlarge",
    "ml.m6i.4xlarge",
    "ml.m6i.8xlarge",
    "ml.m6i.12xlarge",
    "ml.m6i.16xlarge",
    "ml.m6i.24xlarge",
    "ml.m6i.32xlarge",
    "ml.r6i.large",
    "ml.r6i.xlarge",
    "ml.r6i.2xlarge",
    "ml.r6i.4xlarge",
    "ml.r6i.8xlarge",
    "ml.r6i.12xlarge",
    "ml.r6i.16xlarge",
    "ml.r6i.24xlarge",
    "ml.r6i.32xlarge",
    "ml.g5.xlarge",
    "ml.g5.2xlarge",
    "ml.g5.4xlarge",
    "ml.g5.8xlarge",
    "ml.g5.12xlarge",
    "ml.g5.16xlarge",
    "ml.g5.24xlarge",
    "ml.g5.48xlarge",
    "ml.g6.xlarge",
    "ml.g6.2xlarge",
    "ml.g6.4xlarge",
    "ml.g6.8xlarge",
    "ml.g6.12xlarge",
    "ml.g6.16xlarge",
    "ml.g6.24xlarge",
    "ml.g6.48xlarge",
    "ml.r8g.medium",
    "ml.r8g.large",
    "ml.r8g.xlarge",
    "ml.r8g.2xlarge",
    "ml.r8g.4xlarge",
    "ml.r8g.8xlarge",
    "ml.r8g.12xlarge",
    "ml.r8g.16xlarge",
    "ml.r8g.24xlarge",
    "ml.r8g.48xlarge",
    "ml.g6e.xlarge",
    "ml.g6e.2xlarge",
    "ml.g6e.4xlarge",
    "ml.g6e.8xlarge",
    "ml.g6e.12xlarge",
    "ml.g6e.16xlarge",
    "ml.g6e.24xlarge",
    "ml.g6e.48xlarge",
    "ml.g7e.2xlarge",
    "ml.g7e.4xlarge",
    "ml.g7e.8xlarge",
    "ml.g7e.12xlarge",
    "ml.g7e.24xlarge",
    "ml.g7e.48xlarge",
    "ml.g7.2xlarge",
    "ml.g7.4xlarge",
    "ml.g7.8xlarge",
    "ml.g7.12xlarge",
    "ml.g7.24xlarge",
    "ml.g7.48xlarge",
    "ml.p4d.24xlarge",
    "ml.c7g.large",
    "ml.c7g.xlarge",
    "ml.c7g.2xlarge",
    "ml.c7g.4xlarge",
    "ml.c7g.8xlarge",
    "ml.c7g.12xlarge",
    "ml.c7g.16xlarge",
    "ml.m6g.large",
    "ml.m6g.xlarge",
    "ml.m6g.2xlarge",
    "ml.m6g.4xlarge",
    "ml.m6g.8xlarge",
    "ml.m6g.12xlarge",
    "ml.m6g.16xlarge",
    "ml.m6gd.large",
    "ml.m6gd.xlarge",
    "ml.m6gd.2xlarge",
    "ml.m6gd.4xlarge",
    "ml.m6gd.8xlarge",
    "ml.m6gd.12xlarge",
    "ml.m6gd.16xlarge",
    "ml.c6g.large",
    "ml.c6g.xlarge",
    "ml.c6g.2xlarge",
    "ml.c6g.4xlarge",
    "ml.c6g.8xlarge",
    "ml.c6g.12xlarge",
    "ml.c6g.16xlarge",
    "ml.c6gd.large",
    "ml.c6gd.xlarge",
    "ml.c6gd.2xlarge",
    "ml.c6gd.4xlarge",
    "ml.c6gd.8xlarge",
    "ml.c6gd.12xlarge",
    "ml.c6gd.16xlarge",
    "ml.c6gn.large",
    "ml.c6gn.xlarge",
    "ml.c6gn.2xlarge",
    "ml.c6gn.4xlarge",
    "ml.c6gn.8xlarge",
    "ml.c6gn.12xlarge",
    "ml.c6gn.16xlarge",
    "ml.r6g.large",
    "ml.r6g.xlarge",
    "ml.r6g.2xlarge",
    "ml.r6g.4xlarge",
    "ml.r6g.8xlarge",
    "ml.r6g.12xlarge",
    "ml.r6g.16xlarge",
    "ml.r6gd.large",
    "ml.r6gd.xlarge",
    "ml.r6gd.2xlarge",
    "ml.r6gd.4xlarge",
    "ml.r6gd.8xlarge",
    "ml.r6gd.12xlarge",
    "ml.r6gd.16xlarge",
    "ml.p4de.24xlarge",
    "ml.trn1.2xlarge",
    "ml.trn1.32xlarge",
    "ml.trn1n.32xlarge",
    "ml.trn2.48xlarge",
    "ml.inf2.xlarge",
    "ml.inf2.8xlarge",
    "ml.inf2.24xlarge",
    "ml.inf2.48xlarge",
    "ml.p5.48xlarge",
    "ml.p5e.48xlarge",
    "ml.p5en.48xlarge",
    "ml.m7i.large",
    "ml.m7i.xlarge",
    "ml.m7i.2xlarge",
    "ml.m7i.4xlarge",
    "ml.m7i.8xlarge",
    "ml.m7i.12xlarge",
    "ml.m7i.16xlarge",
    "ml.m7i.24xlarge",
    "ml.m7i.48xlarge",
    "ml.c7i.large",
    "ml.c7i.xlarge",
    "ml.c7i.2xlarge",
    "ml.c7i.4xlarge",
    "ml.c7i.8xlarge",
    "ml.c7i.12xlarge",
    "ml.c7i.16xlarge",
    "ml.c7i.24xlarge",
    "ml.c7i.48xlarge",
    "ml.r7i.large",
    "ml.r7i.xlarge",
    "ml.r7i.2xlarge",
    "ml.r7i.4xlarge",
    "ml.r7i.8xlarge",
    "ml.r7i.12xlarge",
    "ml.r7i.16xlarge",
    "ml.r7i.24xlarge",
    "ml.r7i.48xlarge",
    "ml.c8g.medium",
    "ml.c8g.large",
    "ml.c8g.xlarge",
    "ml.c8g.2xlarge",
    "ml.c8g.4xlarge",
    "ml.c8g.8xlarge",
    "ml.c8g.12xlarge",
    "ml.c8g.16xlarge",
    "ml.c8g.24xlarge",
    "ml.c8g.48xlarge",
    "ml.r7gd.medium",
    "ml.r7gd.large",
    "ml.r7gd.xlarge",
    "ml.r7gd.2xlarge",
    "ml.r7gd.4xlarge",
    "ml.r7gd.8xlarge",
    "ml.r7gd.12xlarge",
    "ml.r7gd.16xlarge",
    "ml.m8g.medium",
    "ml.m8g.large",
    "ml.m8g.xlarge",
    "ml.m8g.2xlarge",
    "ml.m8g.4xlarge",
    "ml.m8g.8xlarge",
    "ml.m8g.12xlarge",
    "ml.m8g.16xlarge",
    "ml.m8g.24xlarge",
    "ml.m8g.48xlarge",
    "ml.c6in.large",
    "ml.c6in.xlarge",
    "ml.c6in.2xlarge",
    "ml.c6in.4xlarge",
    "ml.c6in.8xlarge",
    "ml.c6in.12xlarge",
    "ml.c6in.16xlarge",
    "ml.c6in.24xlarge",
    "ml.c6in.32xlarge",
    "ml.p6-b200.48xlarge",
    "ml.p6-b300.48xlarge",
    "ml.p6e-gb200.36xlarge",
    "ml.p5.4xlarge",
]
SkipModelValidation = Literal["All", "None"]
ModelCardStatus = Literal["Draft", "PendingReview", "Approved", "Archived"]
ManagedStorageType = Literal["Restricted"]


class ModelAccessConfig(ApiModel):
    """The access configuration file to control access to the ML model. You can explicitly accept the model
    end-user license agreement (EULA) within the ModelAccessConfig. If you are a Jumpstart user, see
    the End-user license agreements section for more details on accepting the EULA."""

    accept_eula: bool = Field(
        description=(
            "Specifies agreement to the model end-user license agreement (EULA). The "
            "AcceptEula value must be explicitly defined as True in order to accept the EULA "
            "that this model requires."
        )
    )


class InferenceHubAccessConfig(ApiModel):
    """Configuration information specifying which hub contents have accessible deployment options."""

    hub_content_arn: str = Field(
        max_length=255,
        pattern=r"^.*$",
        description="The ARN of the hub content for which deployment access is allowed.",
    )


class S3ModelDataSource(ApiModel):
    """Specifies the S3 location of ML model data to deploy."""

    s3_uri: str = Field(
        max_length=1024,
        pattern=r"^(https|s3)://([^/]+)/?(.*)$",
        description="Specifies the S3 path of ML model data to deploy.",
    )
    s3_data_type: S3ModelDataType = Field(
        description=(
            "Specifies the type of ML model data to deploy. If you choose S3Prefix, S3Uri "
            "identifies a key name prefix. SageMaker uses all objects that match the "
            "specified key name prefix as part of the ML model data to deploy. A valid key "
            "name prefix identified by S3Uri always ends with a forward slash (/)."
        )
    )
    compression_type: ModelCompressionType = Field(
        description=(
            "Specifies how the ML model data is prepared. If you choose Gzip and choose "
            "S3Object as the value of S3DataType, S3Uri identifies an object that is a "
            "gzip-compressed TAR archive. SageMaker will attempt to decompress and untar the "
            "object during model deployment."
        )
    )
    model_access_config: ModelAccessConfig | None = Field(
        default=None,
        description=(
            "Specifies the access configuration file for the ML model. You can explicitly "
            "accept the model end-user license agreement (EULA) within the ModelAccessConfig."
        ),
    )
    hub_access_config: InferenceHubAccessConfig | None = Field(
        default=None, description="Configuration information for hub access."
    )
    manifest_s3_uri: str | None = Field(
        default=None,
        max_length=1024,
        pattern=r"^(https|s3)://([^/]+)/?(.*)$",
        description=(
            "The Amazon S3 URI of the manifest file. The manifest file is a CSV file that "
            "stores the artifact locations."
        ),
    )
    e_tag: str | None = Field(default=None, description="The ETag associated with S3 URI.")
    manifest_etag: str | None = Field(default=None, description="The ETag associated with Manifest S3 URI.")


class ModelDataSource(ApiModel):
    """Specifies the location of ML model data to deploy. If specified, you must specify one and only one
    of the available data sources."""

    s3_data_source: S3ModelDataSource | None = Field(
        default=None, description="Specifies the S3 location of ML model data to deploy."
    )


class ModelInput(ApiModel):
    """Input object for the model."""

    data_input_config: str = Field(
        min_length=1,
        max_length=16384,
        pattern=r"^[\S\s]+$",
        description="The input configuration object for the model.",
    )


class AdditionalModelDataSource(ApiModel):
    """Data sources that are available to your model in addition to the one that you specify for
    ModelDataSource when you use the CreateModel action."""

    channel_name: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9\.\-_]+$",
        description="A custom name for this AdditionalModelDataSource object.",
    )
    s3_data_source: S3ModelDataSource = Field(
        description="Specifies the S3 location of ML model data to deploy."
    )


class AdditionalS3DataSource(ApiModel):
    """A data source used for training or inference that is in addition to the input dataset or model data."""

    s3_data_type: AdditionalS3DataSourceDataType = Field(
        description=(
            "The data type of the additional data source that you specify for use in inference or training."
        )
    )
    s3_uri: str = Field(
        max_length=1024,
        pattern=r"^(https|s3)://([^/]+)/?(.*)$",
        description=(
            "The uniform resource identifier (URI) used to identify an additional data source"
            " used in inference or training."
        ),
    )
    compression_type: CompressionType | None = Field(
        default=None,
        description=(
            "The type of compression used for an additional data source used in inference or "
            "training. Specify None if your additional data source is not compressed."
        ),
    )
    e_tag: str | None = Field(default=None, description="The ETag associated with S3 URI.")


class HubBaseModel(ApiModel):
    """Identifies the foundation model that was used as the starting point for model customization."""

    hub_content_name: str | None = Field(
        default=None,
        max_length=63,
        pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$",
        description="The hub content name of the base model.",
    )
    hub_content_version: str | None = Field(
        default=None,
        min_length=5,
        max_length=14,
        pattern=r"^\d{1,4}.\d{1,4}.\d{1,4}$",
        description="The hub content version of the base model.",
    )
    recipe_name: str | None = Field(
        default=None, max_length=255, description="The recipe name of the base model."
    )


class ModelPackageContainerDefinition(ApiModel):
    """Describes the Docker container for the model package."""

    container_hostname: str | None = Field(
        default=None,
        max_length=63,
        pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$",
        description="The DNS host name for the Docker container.",
    )
    image: str | None = Field(
        default=None,
        max_length=255,
        pattern=r"^[\S]+$",
        description=(
            "The Amazon Elastic Container Registry (Amazon ECR) path where inference code is "
            "stored. If you are using your own custom algorithm instead of an algorithm "
            "provided by SageMaker, the inference code must meet SageMaker requirements."
        ),
    )
    image_digest: str | None = Field(
        default=None,
        max_length=72,
        pattern=r"^[Ss][Hh][Aa]256:[0-9a-fA-F]{64}$",
        description=(
            "An MD5 hash of the training algorithm that identifies the Docker image used for training."
        ),
    )
    model_data_url: str | None = Field(
        default=None,
        max_length=1024,
        pattern=r"^(https|s3)://([^/]+)/?(.*)$",
        description=(
            "The Amazon S3 path where the model artifacts, which result from model training, "
            "are stored. This path must point to a single gzip compressed tar archive "
            "(.tar.gz suffix). The model artifacts must be in an S3 bucket that is in the "
            "same region as the model package."
        ),
    )
    model_data_source: ModelDataSource | None = Field(
        default=None,
        description="Specifies the location of ML model data to deploy during endpoint creation.",
    )
    product_id: str | None = Field(
        default=None,
        max_length=256,
        pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$",
        description="The Amazon Web Services Marketplace product ID of the model package.",
    )
    environment: (
        dict[
            Annotated[str, Field(max_length=1024, pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$")],
            Annotated[str, Field(max_length=1024, pattern=r"^[\S\s]*$")],
        ]
        | None
    ) = Field(
        default=None,
        json_schema_extra={"maxProperties": 100},
        description=(
            "The environment variables to set in the Docker container. Each key and value in "
            "the Environment string to string map can have length of up to 1024. We support "
            "up to 16 entries in the map."
        ),
    )
    model_input: ModelInput | None = Field(default=None, description="A structure with Model Input details.")
    framework: str | None = Field(
        default=None, description="The machine learning framework of the model package container image."
    )
    framework_version: str | None = Field(
        default=None,
        min_length=3,
        max_length=10,
        pattern=r"^[0-9]\.[A-Za-z0-9.-]+$",
        description="The framework version of the Model Package Container Image.",
    )
    nearest_model_name: str | None = Field(
        default=None,
        description=(
            "The name of a pre-trained machine learning benchmarked by Amazon SageMaker "
            "Inference Recommender model that matches your model. You can find a list of "
            "benchmarked models by calling ListModelMetadata."
        ),
    )
    additional_model_data_sources: list[AdditionalModelDataSource] | None = Field(
        default=None,
        max_length=5,
        description=(
            "Data sources that are available to your model in addition to the one that you "
            "specify for ModelDataSource when you use the CreateModelPackage action."
        ),
    )
    additional_s3_data_source: AdditionalS3DataSource | None = Field(
        default=None,
        description=(
            "The additional data source that is used during inference in the Docker container"
            " for your model package."
        ),
    )
    model_data_e_tag: str | None = Field(default=None, description="The ETag associated with Model Data URL.")
    is_checkpoint: bool | None = Field(
        default=None, description="Specifies whether the model data is a training checkpoint."
    )
    base_model: HubBaseModel | None = Field(
        default=None,
        description=(
            "Identifies the foundation model that was used as the starting point for model customization."
        ),
    )


class InferenceSpecification(ApiModel):
    """Defines how to perform inference generation after a training job is run."""

    containers: list[ModelPackageContainerDefinition] = Field(
        min_length=1,
        max_length=15,
        description=("The Amazon ECR registry path of the Docker image that contains the inference code."),
    )
    supported_transform_instance_types: list[TransformInstanceType] | None = Field(
        default=None,
        min_length=1,
        description=(
            "A list of the instance types on which a transformation job can be run or on "
            "which an endpoint can be deployed. This parameter is required for unversioned "
            "models, and optional for versioned models."
        ),
    )
    supported_realtime_inference_instance_types: list[ProductionVariantInstanceType] | None = Field(
        default=None,
        description=(
            "A list of the instance types that are used to generate inferences in real-time. "
            "This parameter is required for unversioned models, and optional for versioned "
            "models."
        ),
    )
    supported_content_types: list[Annotated[str, Field(max_length=256, pattern=r"^.*$")]] | None = Field(
        default=None, description="The supported MIME types for the input data."
    )
    supported_response_mime_types: (
        list[Annotated[str, Field(max_length=1024, pattern=r"^[-\w]+\/.+$")]] | None
    ) = Field(
        default=None,
        alias="supportedResponseMIMETypes",
        description="The supported MIME types for the output data.",
    )


class MetadataProperties(ApiModel):
    """Metadata properties of the tracking entity, trial, or trial component."""

    commit_id: str | None = Field(
        default=None, max_length=1024, pattern=r"^.*$", description="The commit ID."
    )
    repository: str | None = Field(
        default=None, max_length=1024, pattern=r"^.*$", description="The repository."
    )
    generated_by: str | None = Field(
        default=None, max_length=1024, pattern=r"^.*$", description="The entity this entity was generated by."
    )
    project_id: str | None = Field(
        default=None, max_length=1024, pattern=r"^.*$", description="The project ID."
    )


class MetricsSource(ApiModel):
    """Details about the metrics source."""

    content_type: str = Field(max_length=256, pattern=r"^.*$", description="The metric source content type.")
    content_digest: str | None = Field(
        default=None,
        max_length=72,
        pattern=r"^[Ss][Hh][Aa]256:[0-9a-fA-F]{64}$",
        description="The hash key used for the metrics source.",
    )
    s3_uri: str = Field(
        max_length=1024,
        pattern=r"^(https|s3)://([^/]+)/?(.*)$",
        description="The S3 URI for the metrics source.",
    )


class ModelQuality(ApiModel):
    """Model quality statistics and constraints."""

    statistics: MetricsSource | None = Field(default=None, description="Model quality statistics.")
    constraints: MetricsSource | None = Field(default=None, description="Model quality constraints.")


class ModelDataQuality(ApiModel):
    """Data quality constraints and statistics for a model."""

    statistics: MetricsSource | None = Field(default=None, description="Data quality statistics for a model.")
    constraints: MetricsSource | None = Field(
        default=None, description="Data quality constraints for a model."
    )


class Bias(ApiModel):
    """Contains bias metrics for a model."""

    report: MetricsSource | None = Field(default=None, description="The bias report for a model")
    pre_training_report: MetricsSource | None = Field(
        default=None, description="The pre-training bias report for a model."
    )
    post_training_report: MetricsSource | None = Field(
        default=None, description="The post-training bias report for a model."
    )


class Explainability(ApiModel):
    """Contains explainability metrics for a model."""

    report: MetricsSource | None = Field(default=None, description="The explainability report for a model.")


class ModelMetrics(ApiModel):
    """Contains metrics captured from a model."""

    model_quality: ModelQuality | None = Field(
        default=None, description="Metrics that measure the quality of a model."
    )
    model_data_quality: ModelDataQuality | None = Field(
        default=None, description="Metrics that measure the quality of the input data for a model."
    )
    bias: Bias | None = Field(default=None, description="Metrics that measure bias in a model.")
    explainability: Explainability | None = Field(
        default=None, description="Metrics that help explain a model."
    )


class FileSource(ApiModel):
    """Contains details regarding the file source."""

    content_type: str | None = Field(
        default=None,
        max_length=256,
        pattern=r"^.*$",
        description="The type of content stored in the file source.",
    )
    content_digest: str | None = Field(
        default=None,
        max_length=72,
        pattern=r"^[Ss][Hh][Aa]256:[0-9a-fA-F]{64}$",
        description="The digest of the file source.",
    )
    s3_uri: str = Field(
        max_length=1024,
        pattern=r"^(https|s3)://([^/]+)/?(.*)$",
        description="The Amazon S3 URI for the file source.",
    )


class DriftCheckBias(ApiModel):
    """Represents the drift check bias baselines that can be used when the model monitor is set using the
    model package."""

    config_file: FileSource | None = Field(default=None, description="The bias config file for a model.")
    pre_training_constraints: MetricsSource | None = Field(
        default=None, description="The pre-training constraints."
    )
    post_training_constraints: MetricsSource | None = Field(
        default=None, description="The post-training constraints."
    )


class DriftCheckExplainability(ApiModel):
    """Represents the drift check explainability baselines that can be used when the model monitor is set
    using the model package."""

    constraints: MetricsSource | None = Field(
        default=None, description="The drift check explainability constraints."
    )
    config_file: FileSource | None = Field(
        default=None, description="The explainability config file for the model."
    )


class DriftCheckModelQuality(ApiModel):
    """Represents the drift check model quality baselines that can be used when the model monitor is set
    using the model package."""

    statistics: MetricsSource | None = Field(
        default=None, description="The drift check model quality statistics."
    )
    constraints: MetricsSource | None = Field(
        default=None, description="The drift check model quality constraints."
    )


class DriftCheckModelDataQuality(ApiModel):
    """Represents the drift check data quality baselines that can be used when the model monitor is set
    using the model package."""

    statistics: MetricsSource | None = Field(
        default=None, description="The drift check model data quality statistics."
    )
    constraints: MetricsSource | None = Field(
        default=None, description="The drift check model data quality constraints."
    )


class DriftCheckBaselines(ApiModel):
    """Represents the drift check baselines that can be used when the model monitor is set using the model
    package."""

    bias: DriftCheckBias | None = Field(
        default=None,
        description=(
            "Represents the drift check bias baselines that can be used when the model "
            "monitor is set using the model package."
        ),
    )
    explainability: DriftCheckExplainability | None = Field(
        default=None,
        description=(
            "Represents the drift check explainability baselines that can be used when the "
            "model monitor is set using the model package."
        ),
    )
    model_quality: DriftCheckModelQuality | None = Field(
        default=None,
        description=(
            "Represents the drift check model quality baselines that can be used when the "
            "model monitor is set using the model package."
        ),
    )
    model_data_quality: DriftCheckModelDataQuality | None = Field(
        default=None,
        description=(
            "Represents the drift check model data quality baselines that can be used when "
            "the model monitor is set using the model package."
        ),
    )


class AdditionalInferenceSpecificationDefinition(ApiModel):
    """A structure of additional Inference Specification. Additional Inference Specification specifies
    details about inference jobs that can be run with models based on this model package"""

    model_config = ApiModel.model_config | {
        "json_schema_extra": {
            "x-kubernetes-validations": [
                {
                    "rule": "self == oldSelf",
                    "message": (
                        "an additional inference specification cannot change once registered: add one "
                        "under a new name, or create a new ModelVersion"
                    ),
                }
            ]
        }
    }

    name: str = Field(
        min_length=1,
        max_length=63,
        pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$",
        description=(
            "A unique name to identify the additional inference specification. The name must "
            "be unique within the list of your additional inference specifications for a "
            "particular model package."
        ),
    )
    description: str | None = Field(
        default=None,
        max_length=1024,
        pattern=r"^[\p{L}\p{M}\p{Z}\p{S}\p{N}\p{P}]*$",
        description="A description of the additional Inference specification",
    )
    containers: list[ModelPackageContainerDefinition] = Field(
        min_length=1,
        max_length=15,
        description=("The Amazon ECR registry path of the Docker image that contains the inference code."),
    )
    supported_transform_instance_types: list[TransformInstanceType] | None = Field(
        default=None,
        min_length=1,
        description=(
            "A list of the instance types on which a transformation job can be run or on "
            "which an endpoint can be deployed."
        ),
    )
    supported_realtime_inference_instance_types: list[ProductionVariantInstanceType] | None = Field(
        default=None,
        description="A list of the instance types that are used to generate inferences in real-time.",
    )
    supported_content_types: list[Annotated[str, Field(max_length=256, pattern=r"^.*$")]] | None = Field(
        default=None, description="The supported MIME types for the input data."
    )
    supported_response_mime_types: (
        list[Annotated[str, Field(max_length=1024, pattern=r"^[-\w]+\/.+$")]] | None
    ) = Field(
        default=None,
        alias="supportedResponseMIMETypes",
        description="The supported MIME types for the output data.",
    )


class ModelPackageSecurityConfig(ApiModel):
    """An optional Key Management Service key to encrypt, decrypt, and re-encrypt model package information
    for regulated workloads with highly sensitive data."""

    kms_key_id: str = Field(
        max_length=2048,
        pattern=r"^[a-zA-Z0-9:/_-]*$",
        description="The KMS Key ID (KMSKeyId) used for encryption of model package information.",
    )


class ModelPackageModelCard(ApiModel):
    """The model card associated with the model package. Since ModelPackageModelCard is tied to a model
    package, it is a specific usage of a model card and its schema is simplified compared to the
    schema of ModelCard."""

    model_card_content: str | None = Field(
        default=None,
        max_length=100000,
        pattern=r"^.*$",
        description=(
            "The content of the model card. The content must follow the schema described in "
            "Model Package Model Card Schema."
        ),
    )
    model_card_status: ModelCardStatus | None = Field(
        default=None,
        description=(
            "The approval status of the model card within your organization. Different "
            "organizations might have different criteria for model card review and approval. "
            "Draft: The model card is a work in progress. PendingReview: The model card is "
            "pending review. Approved: The model card is approved."
        ),
    )


class ModelLifeCycle(ApiModel):
    """A structure describing the current state of the model in its life cycle."""

    stage: str = Field(
        min_length=1,
        max_length=63,
        pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$",
        description="The current stage in the model life cycle.",
    )
    stage_status: str = Field(
        min_length=1,
        max_length=63,
        pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$",
        description="The current status of a stage in model life cycle.",
    )
    stage_description: str | None = Field(
        default=None, max_length=1024, pattern=r"^.*$", description="Describes the stage related details."
    )


class PackageMembers(ApiModel):
    """The CreateModelPackage members a ModelVersion spec carries under their own names."""

    model_package_description: str | None = Field(
        default=None,
        max_length=1024,
        pattern=r"^[\p{L}\p{M}\p{Z}\p{S}\p{N}\p{P}]*$",
        description="A description of the model package. Immutable.",
    )
    model_package_registration_type: ModelPackageRegistrationType | None = Field(
        default=None,
        description=(
            "Registered (a version in the registry) or Logged. Set: git decides and a change "
            "is applied; omitted: left to the registry."
        ),
    )
    inference_specification: InferenceSpecification | None = Field(
        default=None,
        description=(
            "What runs the model: 1 container, or an inference pipeline of 2 to 15 run in "
            "order. Immutable. Optional when adopting (spec.modelPackageArn); if given it "
            "must match the adopted version."
        ),
    )
    metadata_properties: MetadataProperties | None = Field(
        default=None,
        description=("Metadata properties of the tracking entity, trial, or trial component. Immutable."),
    )
    model_metrics: ModelMetrics | None = Field(
        default=None, description="A structure that contains model metrics reports. Immutable."
    )
    domain: str | None = Field(
        default=None,
        description=(
            "The machine learning domain of your model package and its components. Common "
            "machine learning domains include computer vision and natural language "
            "processing. Immutable."
        ),
    )
    task: str | None = Field(
        default=None,
        description=(
            "The machine learning task your model package accomplishes. Common machine "
            "learning tasks include object detection and image classification. Immutable."
        ),
    )
    sample_payload_url: str | None = Field(
        default=None,
        max_length=1024,
        pattern=r"^(https|s3)://([^/]+)/?(.*)$",
        description=(
            "The Amazon Simple Storage Service (Amazon S3) path where the sample payload is "
            "stored. This path must point to a single gzip compressed tar archive (.tar.gz "
            "suffix). This archive can hold multiple files that are all equally used in the "
            "load test. Immutable."
        ),
    )
    customer_metadata_properties: (
        dict[
            Annotated[str, Field(min_length=1, max_length=128, pattern=r"^([\p{L}\p{Z}\p{N}_.:\/=+\-@]*)$")],
            Annotated[str, Field(min_length=1, max_length=256, pattern=r"^([\p{L}\p{Z}\p{N}_.:\/=+\-@]*)$")],
        ]
        | None
    ) = Field(
        default=None,
        json_schema_extra={"minProperties": 1, "maxProperties": 50},
        description=(
            "Key/value metadata (at most 50); keys this object applied and later removed from"
            " the spec are removed from the version, keys added in SageMaker by others are "
            "kept."
        ),
    )
    drift_check_baselines: DriftCheckBaselines | None = Field(
        default=None,
        description=(
            "Represents the drift check baselines that can be used when the model monitor is "
            "set using the model package. For more information, see the topic on Drift "
            "Detection against Previous Baselines in SageMaker Pipelines in the Amazon "
            "SageMaker Developer Guide. Immutable."
        ),
    )
    additional_inference_specifications: list[AdditionalInferenceSpecificationDefinition] | None = Field(
        default=None,
        min_length=1,
        max_length=15,
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]},
        description=(
            "Further inference specifications (at most 15), e.g. SageMaker Neo compiled "
            "artifacts. Items may be added after registration; an item, once registered, can "
            "be neither changed nor removed."
        ),
    )
    skip_model_validation: SkipModelValidation | None = Field(
        default=None, description="Indicates if you want to skip model validation. Immutable."
    )
    source_uri: str | None = Field(
        default=None,
        max_length=1024,
        pattern=r"^[\p{L}\p{M}\p{Z}\p{N}\p{P}]*$",
        description=(
            "URI of the model's source (a model ARN, or a model package ARN to clone). Set: "
            "applied on change; omitted: left as the registry holds it."
        ),
    )
    security_config: ModelPackageSecurityConfig | None = Field(
        default=None,
        description=(
            "The KMS Key ID (KMSKeyId) used for encryption of model package information. Immutable."
        ),
    )
    model_card: ModelPackageModelCard | None = Field(
        default=None,
        description=(
            "The version's model card: content (JSON of the model package model card schema, "
            "one line) and status. Set: a change is applied; omitted: left to the registry. "
            "status.modelCardStatus shows it."
        ),
    )
    model_life_cycle: ModelLifeCycle | None = Field(
        default=None,
        description=(
            "Life-cycle stage (e.g. Development, Staging, Production), its status and "
            "description. Set: git decides, and a stage changed in SageMaker is changed back."
            " Omitted: status.modelLifeCycle mirrors the stage set in SageMaker."
        ),
    )
    managed_storage_type: ManagedStorageType | None = Field(
        default=None, description="The storage type of the model package. Immutable."
    )
